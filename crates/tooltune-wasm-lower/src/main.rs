//! `tooltune-wasm-lower IN OUT`: writes OUT, the module IN without relaxed
//! SIMD (see the library's docs).

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: tooltune-wasm-lower IN.wasm OUT.wasm");
        return ExitCode::from(2);
    };
    let run = || -> Result<tooltune_wasm_lower::Lowered, String> {
        let wasm = std::fs::read(input).map_err(|e| format!("{input}: {e}"))?;
        let (out, lowered) =
            tooltune_wasm_lower::lower(&wasm).map_err(|e| format!("{input}: {e}"))?;
        std::fs::write(output, out).map_err(|e| format!("{output}: {e}"))?;
        Ok(lowered)
    };
    match run() {
        Ok(l) => {
            println!(
                "tooltune-wasm-lower: {output}: {} relaxed multiply-adds lowered in {} functions",
                l.instructions, l.functions
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("tooltune-wasm-lower: {e}");
            ExitCode::FAILURE
        }
    }
}
