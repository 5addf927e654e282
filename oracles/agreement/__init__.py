"""Agreement across hardware: do honest agents on different CPUs (or GPUs) agree?

``agentnet model agreement PACKAGE`` runs a package's fixed input set once per
instruction-set level (AVX-512, AVX2, SSE4.2; CUDA for GPU packages), each in its
own process, masking newer CPU features at native speed where the CPU has them
(:mod:`oracles.agreement.levels`), and reports how many outputs differ
(:mod:`oracles.agreement.harness`). Torch-free, like the worker.
"""
