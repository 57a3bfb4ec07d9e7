//! File I/O at the edge: read whole files, write outputs, with the path in errors.

use anyhow::{Context, Result};
use std::path::Path;
use std::sync::Arc;
use tooltune_core::Catalogue;

/// Reads a file (or stdin for `-`).
pub fn read(path: &Path) -> Result<Vec<u8>> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut buf)
            .context("cannot read standard input")?;
        return Ok(buf);
    }
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
}

/// Writes a file, creating its folder.
pub fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

/// The name shown in messages for a path.
pub fn name(path: &Path) -> String {
    path.display().to_string()
}

/// Reads and checks a catalogue file.
pub fn catalogue(path: &Path) -> Result<Arc<Catalogue>> {
    Ok(Arc::new(Catalogue::from_bytes(&name(path), &read(path)?)?))
}

/// Prints to stdout; a closed pipe (`tooltune eval ... | head`) ends quietly.
pub fn print(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("cannot write to standard output"),
    }
}

/// Reads a chat dataset (format detected from the first line: openai, router or
/// router-gold), failing on the first bad line.
pub fn examples(path: &Path) -> Result<Vec<tooltune_core::dataset::Example>> {
    use tooltune_core::dataset;
    let name = name(path);
    let bytes = read(path)?;
    let format = dataset::detect_at(&name, &bytes)?;
    if format == dataset::Format::Bfcl {
        anyhow::bail!("{name}: BFCL files are for `eval --gold`; convert them to openai first");
    }
    let mut out = Vec::new();
    for row in dataset::read(format, &name, &bytes, None)? {
        out.push(row?);
    }
    if out.is_empty() {
        anyhow::bail!("{name}: no examples");
    }
    Ok(out)
}

/// Writes bytes to a file, creating its folder.
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}
