//! Checkpoint loading: errors for bad files, sharded checkpoints, dtypes.
