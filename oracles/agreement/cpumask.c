/*
 * cpumask.c: make one process see an older x86-64 CPU, at native speed.
 *
 * The agreement harness (oracles/agreement) runs a model package in a child
 * process per instruction-set level. Libraries such as onnxruntime's MLAS and
 * numpy pick their kernels from what the CPUID instruction reports, so a child
 * whose CPUID answers lack AVX-512 (or AVX/AVX2/FMA) runs the kernels an older
 * CPU would run, on the real hardware, at full speed.
 *
 * Environment (set by the harness):
 *   AGENTNET_CPU_LEVEL      avx2 (clear AVX-512*, VNNI, AMX) or sse42 (also AVX,
 *                           AVX2, FMA, F16C, BMI1/2, LZCNT, MOVBE, VAES, ...)
 *   AGENTNET_CPUMASK_MODE   fault or patch (below)
 *   AGENTNET_CPUMASK_REPORT file the library appends what it did to
 *   AGENTNET_CPUMASK_SITES  patch mode: lines "path<TAB>size<TAB>hexoff,hexoff,..."
 *
 * Two ways to catch CPUID, one library:
 *   fault (LD_PRELOAD): the constructor turns on CPUID faulting with
 *     arch_prctl(ARCH_SET_CPUID, 0); every CPUID then raises SIGSEGV, whose
 *     handler runs the real CPUID (faulting off for that instant), clears the
 *     feature bits and steps over the instruction. Needs CPU and kernel support
 *     (Intel since Ivy Bridge; many hypervisors do not pass it through).
 *   patch (LD_AUDIT): where faulting is missing, the dynamic linker tells this
 *     library about each shared object after mapping it and before running its
 *     constructors (la_objopen); every CPUID instruction that objdump found in
 *     it (offsets listed in the sites file) is overwritten with UD2, which has
 *     the same length (0f a2 -> 0f 0b). The SIGILL handler answers those sites
 *     like the fault handler; any other SIGILL keeps its default action.
 *
 * Report lines: "mode <m> level <l>", "patched <n> <path>" (objects numbered from
 * 0 in this order), "skip <path> <why>", "trap <leaf> [<object>]" (one per CPUID
 * answered; the object only in patch mode), "error <what>".
 *
 * agentnet_cpuid() and agentnet_cpuid_faulting_supported() are exported for the
 * harness's probes (ctypes) and do nothing unless called.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <cpuid.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define MAX_SITES 8192

enum { LEVEL_NONE = 0, LEVEL_AVX2 = 1, LEVEL_SSE42 = 2 };

static int level = LEVEL_NONE;
static int report_fd = -1;
static uintptr_t sites[MAX_SITES]; /* patched addresses, sorted on insertion */
static int site_obj[MAX_SITES];    /* which patched object each site belongs to */
static int n_sites = 0;
static int n_objects = 0;

/* ---- reporting (async-signal-safe: write(2) only) ------------------------ */

static void put(const char *s) {
    if (report_fd >= 0 && write(report_fd, s, strlen(s)) < 0) {
        /* nothing to do: the harness treats a missing line as a failure */
    }
}

static void put_uint(unsigned long v) {
    char buf[24];
    int i = sizeof(buf) - 1;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    put(buf + i);
}

/* ---- the mask ------------------------------------------------------------ */

#define BIT(n) (1u << (n))

static void mask(unsigned leaf, unsigned sub, unsigned r[4]) {
    /* r: eax, ebx, ecx, edx */
    if (level == LEVEL_NONE)
        return;
    if (leaf == 7 && sub == 0) {
        /* AVX512F DQ IFMA PF ER CD BW VL */
        r[1] &= ~(BIT(16) | BIT(17) | BIT(21) | BIT(26) | BIT(27) | BIT(28) | BIT(30) | BIT(31));
        /* AVX512_VBMI VBMI2 VNNI BITALG VPOPCNTDQ */
        r[2] &= ~(BIT(1) | BIT(6) | BIT(11) | BIT(12) | BIT(14));
        /* 4VNNIW 4FMAPS VP2INTERSECT AMX_BF16 AVX512_FP16 AMX_TILE AMX_INT8 */
        r[3] &= ~(BIT(2) | BIT(3) | BIT(8) | BIT(22) | BIT(23) | BIT(24) | BIT(25));
    }
    if (leaf == 7 && sub == 1) {
        /* AVX_VNNI AVX512_BF16 AMX_FP16 AVX_IFMA */
        r[0] &= ~(BIT(4) | BIT(5) | BIT(21) | BIT(23));
        /* AVX_VNNI_INT8 AVX_NE_CONVERT AMX_COMPLEX AVX_VNNI_INT16 AVX10 */
        r[3] &= ~(BIT(4) | BIT(5) | BIT(8) | BIT(10) | BIT(19));
    }
    if (leaf == 0xD && sub == 0) /* XSAVE state components: opmask, ZMM, tiles */
        r[0] &= ~(BIT(5) | BIT(6) | BIT(7) | BIT(17) | BIT(18));
    if (leaf == 0x1D || leaf == 0x1E || leaf == 0x24) /* AMX tiles, AVX10 */
        r[0] = r[1] = r[2] = r[3] = 0;
    if (level != LEVEL_SSE42)
        return;
    if (leaf == 1) /* FMA MOVBE AVX F16C */
        r[2] &= ~(BIT(12) | BIT(22) | BIT(28) | BIT(29));
    if (leaf == 7 && sub == 0) {
        r[1] &= ~(BIT(3) | BIT(5) | BIT(8)); /* BMI1 AVX2 BMI2 */
        r[2] &= ~(BIT(9) | BIT(10));         /* VAES VPCLMULQDQ (VEX-256) */
    }
    if (leaf == 7 && sub == 1)
        r[0] = r[1] = r[2] = r[3] = 0;
    if (leaf == 0xD && sub == 0) /* AVX state */
        r[0] &= ~BIT(2);
    if (leaf == 0x80000001) /* LZCNT XOP FMA4 TBM */
        r[2] &= ~(BIT(5) | BIT(11) | BIT(16) | BIT(21));
}

static void real_cpuid(unsigned leaf, unsigned sub, unsigned r[4]) {
    __cpuid_count(leaf, sub, r[0], r[1], r[2], r[3]);
}

/* Exported probe: CPUID as this process sees it (masked in a masked child). */
void agentnet_cpuid(unsigned leaf, unsigned sub, unsigned out[4]) {
    real_cpuid(leaf, sub, out);
}

/* Exported probe: 1 when this thread can turn CPUID faulting on (and back off). */
int agentnet_cpuid_faulting_supported(void) {
    if (syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) != 0)
        return 0;
    syscall(SYS_arch_prctl, ARCH_SET_CPUID, 1);
    return 1;
}

/* Answer the CPUID the trapped thread was executing, then step over it. */
static void answer(ucontext_t *uc, int faulting, int obj) {
    greg_t *g = uc->uc_mcontext.gregs;
    unsigned r[4];
    unsigned leaf = (unsigned)g[REG_RAX], sub = (unsigned)g[REG_RCX];
    if (faulting)
        syscall(SYS_arch_prctl, ARCH_SET_CPUID, 1);
    real_cpuid(leaf, sub, r);
    if (faulting)
        syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0);
    mask(leaf, sub, r);
    g[REG_RAX] = r[0];
    g[REG_RBX] = r[1];
    g[REG_RCX] = r[2];
    g[REG_RDX] = r[3];
    g[REG_RIP] += 2;
    put("trap ");
    put_uint(leaf);
    if (obj >= 0) {
        put(" ");
        put_uint((unsigned long)obj);
    }
    put("\n");
}

static void default_action(int sig) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    sigaction(sig, &sa, NULL); /* returning re-runs the instruction: the real fault */
}

static void on_segv(int sig, siginfo_t *info, void *ctx) {
    ucontext_t *uc = ctx;
    /* A CPUID under faulting is a general-protection fault: SIGSEGV, SI_KERNEL. */
    if (info->si_code == SI_KERNEL) {
        const unsigned char *ip = (const unsigned char *)uc->uc_mcontext.gregs[REG_RIP];
        if (ip[0] == 0x0f && ip[1] == 0xa2) {
            answer(uc, 1, -1);
            return;
        }
    }
    default_action(sig);
}

/* The patched object holding `addr`, or -1 when it is not a patched site. */
static int site_object(uintptr_t addr) {
    int lo = 0, hi = n_sites - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (sites[mid] == addr)
            return site_obj[mid];
        if (sites[mid] < addr)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

static void on_sigill(int sig, siginfo_t *info, void *ctx) {
    ucontext_t *uc = ctx;
    int obj = site_object((uintptr_t)uc->uc_mcontext.gregs[REG_RIP]);
    (void)info;
    if (obj >= 0) {
        answer(uc, 0, obj);
        return;
    }
    default_action(sig);
}

static int install(int sig, void (*handler)(int, siginfo_t *, void *)) {
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, NULL);
}

/* ---- setup --------------------------------------------------------------- */

static const char *mode_env(void) {
    const char *m = getenv("AGENTNET_CPUMASK_MODE");
    return m ? m : "";
}

static int read_level(void) {
    const char *l = getenv("AGENTNET_CPU_LEVEL");
    if (!l)
        return LEVEL_NONE;
    if (strcmp(l, "avx2") == 0)
        return LEVEL_AVX2;
    if (strcmp(l, "sse42") == 0)
        return LEVEL_SSE42;
    return -1;
}

static int setup(const char *mode) {
    const char *path = getenv("AGENTNET_CPUMASK_REPORT");
    if (path && report_fd < 0)
        report_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    level = read_level();
    if (level <= LEVEL_NONE) {
        put("error AGENTNET_CPU_LEVEL must be avx2 or sse42\n");
        level = LEVEL_NONE;
        return -1;
    }
    put("mode ");
    put(mode);
    put(" level ");
    put(level == LEVEL_AVX2 ? "avx2" : "sse42");
    put("\n");
    return 0;
}

__attribute__((constructor)) static void preload_init(void) {
    if (strcmp(mode_env(), "fault") != 0 || level != LEVEL_NONE)
        return;
    if (setup("fault") != 0)
        return;
    if (install(SIGSEGV, on_segv) != 0) {
        put("error sigaction\n");
        return;
    }
    if (syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) != 0)
        put("error arch_prctl(ARCH_SET_CPUID) refused: no CPUID faulting here\n");
}

/* ---- patch mode (rtld-audit) --------------------------------------------- */

static void add_site(uintptr_t addr, int obj) {
    int i = n_sites++;
    while (i > 0 && sites[i - 1] > addr) {
        sites[i] = sites[i - 1];
        site_obj[i] = site_obj[i - 1];
        i--;
    }
    sites[i] = addr;
    site_obj[i] = obj;
}

static int patch_one(uintptr_t addr) {
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t start = addr & ~(uintptr_t)(page - 1);
    size_t len = (addr + 2 > start + (uintptr_t)page) ? 2 * (size_t)page : (size_t)page;
    unsigned char *p = (unsigned char *)addr;
    if (mprotect((void *)start, len, PROT_READ | PROT_WRITE | PROT_EXEC) != 0)
        return -1;
    int ok = p[0] == 0x0f && p[1] == 0xa2;
    if (ok)
        p[1] = 0x0b; /* cpuid (0f a2) -> ud2 (0f 0b) */
    mprotect((void *)start, len, PROT_READ | PROT_EXEC);
    return ok ? 0 : -1;
}

/* Patch the object at `base` if the sites file lists `path`. */
static void patch_object(const char *path, uintptr_t base) {
    const char *sites_path = getenv("AGENTNET_CPUMASK_SITES");
    FILE *f = sites_path ? fopen(sites_path, "r") : NULL;
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    struct stat st;
    while (getline(&line, &cap, f) > 0) {
        char *tab1 = strchr(line, '\t');
        char *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
        if (!tab2)
            continue;
        *tab1 = 0;
        if (strcmp(line, path) != 0)
            continue;
        if (stat(path, &st) != 0 || (long long)st.st_size != strtoll(tab1 + 1, NULL, 10)) {
            put("skip ");
            put(path);
            put(" size differs from the sites file\n");
            break;
        }
        int done = 0, bad = 0;
        for (char *tok = strtok(tab2 + 1, ",\n"); tok; tok = strtok(NULL, ",\n")) {
            uintptr_t addr = base + (uintptr_t)strtoull(tok, NULL, 16);
            if (n_sites >= MAX_SITES || patch_one(addr) != 0) {
                bad++;
                continue;
            }
            add_site(addr, n_objects);
            done++;
        }
        n_objects++;
        put("patched ");
        put_uint((unsigned long)done);
        put(" ");
        put(path);
        put("\n");
        if (bad) {
            put("skip ");
            put(path);
            put(" ");
            put_uint((unsigned long)bad);
            put(" listed sites hold no CPUID\n");
        }
        break;
    }
    free(line);
    fclose(f);
}

unsigned int la_version(unsigned int version) {
    if (strcmp(mode_env(), "patch") == 0 && setup("patch") == 0 && install(SIGILL, on_sigill) != 0)
        put("error sigaction\n");
    return version < LAV_CURRENT ? version : LAV_CURRENT;
}

unsigned int la_objopen(struct link_map *map, Lmid_t lmid, uintptr_t *cookie) {
    (void)lmid;
    (void)cookie;
    char real[PATH_MAX];
    if (level != LEVEL_NONE && map->l_name && map->l_name[0] && realpath(map->l_name, real))
        patch_object(real, (uintptr_t)map->l_addr);
    return 0;
}
