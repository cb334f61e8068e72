/// \file
/// An LD_PRELOAD library for benchmarks/end_to_end only: fsync and fdatasync return 0 without
/// flushing, so that one row of the benchmark measures graft's own work apart from the disk's cache
/// flush (the I/O floor it is compared with does not flush either). Never for real conversions:
/// without the flush an output may be lost or half-written on power loss (docs/security.md).

extern "C" int fsync(int /*fd*/) { return 0; }
extern "C" int fdatasync(int /*fd*/) { return 0; }
