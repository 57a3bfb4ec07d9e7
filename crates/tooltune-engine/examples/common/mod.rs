//! What the engine's benchmarks report about the machine and their
//! figures: threads, CPU model, the matmul kernels' instruction set, peak
//! memory, medians; and the `--flag value` command lines of the benchmarks
//! that read files.

pub fn threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The CPU's model name (`/proc/cpuinfo`), or `unknown`.
pub fn cpu_model() -> String {
    proc_field("/proc/cpuinfo", "model name").unwrap_or_else(|| "unknown".into())
}

/// The value after `key` and its `:` on the first line of `file` that
/// starts with `key`, trimmed.
fn proc_field(file: &str, key: &str) -> Option<String> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    Some(line.split_once(':')?.1.trim().to_string())
}

/// The instruction set of the f32 matmul kernels gemm picks at run time:
/// gemm takes its AVX-512 kernels when built with `x86-v4` (this crate's
/// feature of that name, on by default with `cpu`) and the CPU has
/// AVX-512F, its AVX2 + FMA kernels otherwise.
pub fn matmul_isa() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if cfg!(feature = "x86-v4") && std::arch::is_x86_feature_detected!("avx512f") {
            return "avx512";
        }
        if std::arch::is_x86_feature_detected!("fma") {
            return "avx2";
        }
        "scalar"
    }
    #[cfg(target_arch = "aarch64")]
    {
        "neon"
    }
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    {
        "scalar"
    }
}

/// This process's peak resident set (`VmHWM`), in MiB; 0 when unknown.
pub fn peak_rss_mb() -> f64 {
    proc_field("/proc/self/status", "VmHWM")
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[(v.len() - 1) / 2]
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// The command line's `--flag value` pairs, or the flag left without a value.
#[allow(dead_code)] // not every benchmark reads files
pub fn flag_pairs() -> Result<Vec<(String, String)>, String> {
    let mut it = std::env::args().skip(1);
    let mut pairs = Vec::new();
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        pairs.push((flag, value));
    }
    Ok(pairs)
}

/// `value`, given for `flag`, as a number.
#[allow(dead_code)]
pub fn number(flag: &str, value: &str) -> Result<usize, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: `{value}` is not a number"))
}

/// A file's bytes, or an error naming it.
#[allow(dead_code)]
pub fn read_file(path: &std::path::Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}
