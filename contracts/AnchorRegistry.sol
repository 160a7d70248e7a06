// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title AnchorRegistry
/// @notice Write-once registry of Merkle roots over FHIR bundle hashes. Only roots go on chain, never personal data.
/// @dev Leaves follow OpenZeppelin's StandardMerkleTree encoding of `(bytes32 bundleHash, bytes32 salt)`, so proofs
///      produced by the OpenZeppelin merkle-tree library (or the bridge's compatible builder) verify here unchanged.
contract AnchorRegistry is AccessControl {
    /// @notice Role allowed to anchor batches.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    /// @notice One anchored batch, packed into two storage slots (root | leafCount + anchorer + anchoredAt).
    struct Batch {
        bytes32 root;
        uint32 leafCount;
        address anchorer;
        uint64 anchoredAt;
    }

    mapping(bytes32 batchId => Batch) private _batches;

    /// @notice A batch root was anchored.
    event Anchored(bytes32 indexed batchId, bytes32 indexed root, uint32 leafCount, address indexed anchorer);

    /// @notice The root must not be zero (zero means "not anchored").
    error ZeroRoot();
    /// @notice A batch has at least one leaf.
    error ZeroLeafCount();
    /// @notice Anchors are write-once: a batch id cannot be re-anchored.
    error BatchAlreadyAnchored(bytes32 batchId);

    /// @param admin receives DEFAULT_ADMIN_ROLE and ANCHORER_ROLE.
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ANCHORER_ROLE, admin);
    }

    /// @notice Anchors the Merkle root of a batch of bundle leaves.
    /// @param batchId bridge-chosen unique batch identifier.
    /// @param root Merkle root (StandardMerkleTree) of the batch.
    /// @param leafCount number of leaves in the tree.
    function anchor(bytes32 batchId, bytes32 root, uint32 leafCount) external onlyRole(ANCHORER_ROLE) {
        if (root == bytes32(0)) revert ZeroRoot();
        if (leafCount == 0) revert ZeroLeafCount();
        if (_batches[batchId].root != bytes32(0)) revert BatchAlreadyAnchored(batchId);
        _batches[batchId] = Batch(root, leafCount, msg.sender, uint64(block.timestamp));
        emit Anchored(batchId, root, leafCount, msg.sender);
    }

    /// @notice Root anchored for `batchId`, or zero when the batch is not anchored.
    function rootOf(bytes32 batchId) external view returns (bytes32) {
        return _batches[batchId].root;
    }

    /// @notice All stored fields of a batch (zeros when not anchored).
    function batchOf(bytes32 batchId)
        external
        view
        returns (bytes32 root, uint32 leafCount, address anchorer, uint64 anchoredAt)
    {
        Batch storage b = _batches[batchId];
        return (b.root, b.leafCount, b.anchorer, b.anchoredAt);
    }

    /// @notice Checks that `(bundleHash, salt)` is a leaf of the anchored batch.
    /// @param proof sibling hashes from leaf to root (OpenZeppelin multi-sorted-pair order).
    /// @return true when the batch is anchored and the proof leads to its root.
    function verifyBundle(bytes32 batchId, bytes32 bundleHash, bytes32 salt, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        bytes32 root = _batches[batchId].root;
        if (root == bytes32(0)) return false;
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(bundleHash, salt))));
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }
}
