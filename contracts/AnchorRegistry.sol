// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title AnchorRegistry
/// @notice Write-once registry of Merkle roots over FHIR bundle hashes, and of the checkpoints (tree size, root hash)
///         of the bridge's append-only log. Only roots go on chain, never personal data.
/// @dev Batch leaves follow OpenZeppelin's StandardMerkleTree encoding of `(bytes32 bundleHash, bytes32 salt)`, so
///      proofs produced by the OpenZeppelin merkle-tree library (or the bridge's compatible builder) verify here
///      unchanged. Log checkpoints are RFC 9162 tree heads (C2SP tlog-checkpoint): their inclusion and consistency
///      proofs are checked off chain against the root anchored here.
contract AnchorRegistry is AccessControl {
    /// @notice Role allowed to anchor batches and log checkpoints.
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    /// @notice One anchored batch, packed into two storage slots (root | leafCount + anchorer + anchoredAt).
    struct Batch {
        bytes32 root;
        uint32 leafCount;
        address anchorer;
        uint64 anchoredAt;
    }

    mapping(bytes32 batchId => Batch) private _batches;

    /// @notice The newest anchored checkpoint of one log, packed into one storage slot (its root is in _checkpointRoots).
    struct LatestCheckpoint {
        uint64 treeSize;
        uint64 anchoredAt;
    }

    /// @dev One slot per anchored checkpoint: the root hash by log id and tree size.
    mapping(bytes32 logId => mapping(uint64 treeSize => bytes32 rootHash)) private _checkpointRoots;
    /// @dev One slot per log, rewritten by each anchoring: the growth check reads it.
    mapping(bytes32 logId => LatestCheckpoint) private _latestCheckpoints;

    /// @notice A batch root was anchored.
    event Anchored(bytes32 indexed batchId, bytes32 indexed root, uint32 leafCount, address indexed anchorer);

    /// @notice A checkpoint of log `logId` (keccak256 of the log's origin line) was anchored.
    event CheckpointAnchored(bytes32 indexed logId, uint64 indexed treeSize, bytes32 rootHash, address indexed anchorer);

    /// @notice The root must not be zero (zero means "not anchored").
    error ZeroRoot();
    /// @notice A batch has at least one leaf.
    error ZeroLeafCount();
    /// @notice Anchors are write-once: a batch id cannot be re-anchored.
    error BatchAlreadyAnchored(bytes32 batchId);
    /// @notice An append-only log only grows: a checkpoint must be larger than the newest one anchored for its log
    ///         (and larger than zero: an empty tree proves nothing).
    error TreeSizeNotGrowing(bytes32 logId, uint64 latest, uint64 given);

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

    /// @notice Anchors a checkpoint (tree size, root hash) of an append-only log. Sizes of one log must strictly grow,
    ///         so the log cannot be shown to shrink or be rewritten at an anchored size; logs are independent.
    /// @param logId keccak256 of the UTF-8 origin line of the log's checkpoints.
    /// @param treeSize number of entries in the tree; greater than the log's latest anchored size (and than zero).
    /// @param rootHash RFC 9162 Merkle tree hash of those entries; not zero.
    function anchorCheckpoint(bytes32 logId, uint64 treeSize, bytes32 rootHash) external onlyRole(ANCHORER_ROLE) {
        if (rootHash == bytes32(0)) revert ZeroRoot();
        uint64 latest = _latestCheckpoints[logId].treeSize;
        if (treeSize <= latest) revert TreeSizeNotGrowing(logId, latest, treeSize);
        _checkpointRoots[logId][treeSize] = rootHash;
        _latestCheckpoints[logId] = LatestCheckpoint(treeSize, uint64(block.timestamp));
        emit CheckpointAnchored(logId, treeSize, rootHash, msg.sender);
    }

    /// @notice Root hash anchored for `logId` at `treeSize`, or zero when that size was not anchored.
    /// @param logId keccak256 of the log's origin line.
    /// @param treeSize the checkpoint's tree size.
    function checkpointRoot(bytes32 logId, uint64 treeSize) external view returns (bytes32) {
        return _checkpointRoots[logId][treeSize];
    }

    /// @notice The newest anchored checkpoint of `logId` (zeros when none).
    /// @param logId keccak256 of the log's origin line.
    /// @return treeSize its tree size.
    /// @return rootHash its root hash.
    /// @return anchoredAt block timestamp of its anchoring.
    function latestCheckpoint(bytes32 logId) external view returns (uint64 treeSize, bytes32 rootHash, uint64 anchoredAt) {
        LatestCheckpoint storage l = _latestCheckpoints[logId];
        return (l.treeSize, _checkpointRoots[logId][l.treeSize], l.anchoredAt);
    }
}
