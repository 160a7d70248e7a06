import { subtask, type HardhatUserConfig } from 'hardhat/config';
import { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } from 'hardhat/builtin-tasks/task-names';
import '@nomicfoundation/hardhat-ethers';
import '@nomicfoundation/hardhat-chai-matchers';
import '@nomicfoundation/hardhat-ignition-ethers';
import compiler from './contracts/compiler.json';

// Hardhat downloads solc by default, which fails offline (HH502): use the solc npm package's soljson.js instead.
subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async (args: { solcVersion: string }, _hre, runSuper: (a: { solcVersion: string }) => Promise<unknown>) => {
  if (args.solcVersion !== compiler.version) return runSuper(args);
  return {
    compilerPath: require.resolve('solc/soljson.js'),
    isSolcJs: true,
    version: args.solcVersion,
    longVersion: compiler.longVersion,
  };
});

/** External chains come from the environment; the embedded chain is `npm start`'s concern, not Hardhat's. */
const externalUrl = process.env.CHAIN_RPC_URL;
const externalKey = process.env.ANCHOR_PRIVATE_KEY;

const config: HardhatUserConfig = {
  solidity: { version: compiler.version, settings: compiler.settings },
  paths: { tests: './test/contracts', sources: './contracts' },
  networks: {
    // `hardhat --network localhost` reaches a `hardhat node` or the bridge's embedded chain RPC.
    localhost: { url: process.env.LOCAL_RPC_URL ?? 'http://127.0.0.1:8545' },
    ...(externalUrl ? { external: { url: externalUrl, accounts: externalKey ? [externalKey] : [] } } : {}),
  },
  mocha: { timeout: 60_000 },
};

export default config;
