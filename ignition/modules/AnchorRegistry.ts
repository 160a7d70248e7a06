import { buildModule } from '@nomicfoundation/hardhat-ignition/modules';

/**
 * Deploys AnchorRegistry. `admin` (DEFAULT_ADMIN_ROLE + ANCHORER_ROLE) defaults to the deploying account.
 * `npx hardhat ignition deploy ignition/modules/AnchorRegistry.ts --network external`
 * (`--parameters '{"AnchorRegistryModule":{"admin":"0x…"}}'` to hand the roles to another account).
 */
export default buildModule('AnchorRegistryModule', (m) => {
  const admin = m.getParameter('admin', m.getAccount(0));
  const registry = m.contract('AnchorRegistry', [admin]);
  return { registry };
});
