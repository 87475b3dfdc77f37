/*
 * Lets the oneMKL that is linked into libtorch (DJL's pytorch-native-cpu) use its AVX-512 kernels on AMD CPUs.
 *
 * oneMKL picks its code path by CPU vendor: on a non-Intel CPU it calls mkl_serv_intel_cpu_true(), gets 0 and
 * falls back to its AVX2 kernels even when the CPU implements AVX-512 (AMD Zen 4/5). libtorch_cpu.so exports
 * that function and calls it through its PLT, so a definition that is already in the global symbol scope when
 * libtorch is loaded takes precedence. dev.streamtune.model.CpuTuning loads this library with RTLD_GLOBAL
 * before the engine starts, and only on AMD CPUs that report AVX-512 F/CD/BW/DQ/VL. MKL still checks each
 * instruction set through CPUID, so it never selects kernels the CPU lacks (e.g. AMX).
 *
 * Build (the .so in src/main/resources is this file; no libc needed):
 *   gcc -shared -fPIC -O2 -nostdlib -s -o \
 *     ../resources/dev/streamtune/model/native/linux-x86_64/libstreamtune_mkl_amd.so mkl_amd.c
 */
int mkl_serv_intel_cpu_true(void) {
    return 1;
}
