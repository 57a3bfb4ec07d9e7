//! Lowers a WebAssembly module's relaxed SIMD to plain SIMD.
//!
//! The engine worker's module uses `f32x4.relaxed_madd` in its matrix
//! kernels (the vendored `gemm-f32`, vendor/README.md). A browser without
//! relaxed SIMD refuses the whole module, so the web build also writes it
//! without: each `relaxed_madd(a, b, c)` becomes `a * b + c` (a multiply, then
//! an add, one of the results relaxed SIMD allows), `relaxed_nmadd` likewise
//! with a negation. Any other relaxed instruction is an error naming it, so a
//! dependency that starts using one fails the build instead of the page.
//!
//! The operands are on the stack as `a b c`; the multiply needs `a b` on top,
//! so `c` waits in a fresh `v128` local of the function:
//! `local.set t; f32x4.mul; local.get t; f32x4.add`.

use walrus::ir::{
    BinaryOp, Binop, Instr, InstrSeq, LocalGet, LocalSet, TernaryOp, UnaryOp, Unop, VisitorMut,
};
use walrus::{LocalId, ModuleLocals, ValType};

/// Why a module was not lowered.
#[derive(Debug, thiserror::Error)]
pub enum LowerError {
    #[error("not a WebAssembly module walrus reads: {0}")]
    Parse(String),
    #[error("function {function} uses {op}, which has no plain-SIMD lowering here")]
    Unsupported { function: String, op: String },
    #[error("the lowered module is not valid without relaxed SIMD: {0}")]
    Invalid(#[from] wasmparser::BinaryReaderError),
}

/// What [`lower`] changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lowered {
    /// Relaxed instructions rewritten.
    pub instructions: usize,
    /// Functions that held them.
    pub functions: usize,
}

/// `wasm` without relaxed SIMD, checked by a validator that refuses it.
pub fn lower(wasm: &[u8]) -> Result<(Vec<u8>, Lowered), LowerError> {
    let mut module =
        walrus::Module::from_buffer(wasm).map_err(|e| LowerError::Parse(format!("{e:#}")))?;
    let mut lowered = Lowered {
        instructions: 0,
        functions: 0,
    };
    let mut unsupported = None;
    for (id, function) in module.funcs.iter_local_mut() {
        let mut visitor = Rewrite {
            locals: &mut module.locals,
            temp: None,
            count: 0,
            unsupported: None,
        };
        let entry = function.entry_block();
        walrus::ir::dfs_pre_order_mut(&mut visitor, function, entry);
        if let Some(op) = visitor.unsupported {
            unsupported = Some((id, op));
            break;
        }
        if visitor.count > 0 {
            lowered.instructions += visitor.count;
            lowered.functions += 1;
        }
    }
    if let Some((id, op)) = unsupported {
        let function = module
            .funcs
            .get(id)
            .name
            .clone()
            .unwrap_or_else(|| format!("#{}", id.index()));
        return Err(LowerError::Unsupported { function, op });
    }
    let out = module.emit_wasm();
    let mut features = wasmparser::WasmFeatures::default();
    features.remove(wasmparser::WasmFeatures::RELAXED_SIMD);
    wasmparser::Validator::new_with_features(features).validate_all(&out)?;
    Ok((out, lowered))
}

/// Rewrites one function's instruction sequences.
struct Rewrite<'a> {
    locals: &'a mut ModuleLocals,
    /// The function's `v128` local for `c`, made at its first use.
    temp: Option<LocalId>,
    count: usize,
    /// The first relaxed instruction with no lowering.
    unsupported: Option<String>,
}

impl Rewrite<'_> {
    fn temp(&mut self) -> LocalId {
        *self
            .temp
            .get_or_insert_with(|| self.locals.add(ValType::V128))
    }

    /// The plain instructions for `op`, if it is a fused multiply-add.
    fn madd(&mut self, op: &TernaryOp) -> Option<Vec<Instr>> {
        let (mul, add, negate) = match op {
            TernaryOp::F32x4RelaxedMadd => (BinaryOp::F32x4Mul, BinaryOp::F32x4Add, None),
            TernaryOp::F32x4RelaxedNmadd => (
                BinaryOp::F32x4Mul,
                BinaryOp::F32x4Add,
                Some(UnaryOp::F32x4Neg),
            ),
            TernaryOp::F64x2RelaxedMadd => (BinaryOp::F64x2Mul, BinaryOp::F64x2Add, None),
            TernaryOp::F64x2RelaxedNmadd => (
                BinaryOp::F64x2Mul,
                BinaryOp::F64x2Add,
                Some(UnaryOp::F64x2Neg),
            ),
            _ => return None,
        };
        let local = self.temp();
        let mut out = vec![
            Instr::LocalSet(LocalSet { local }),
            Instr::Binop(Binop { op: mul }),
        ];
        out.extend(negate.map(|op| Instr::Unop(Unop { op })));
        out.extend([
            Instr::LocalGet(LocalGet { local }),
            Instr::Binop(Binop { op: add }),
        ]);
        Some(out)
    }
}

/// The instruction's operator, when it is a relaxed SIMD one.
fn relaxed(instr: &Instr) -> Option<String> {
    let op = match instr {
        Instr::TernOp(t) => format!("{:?}", t.op),
        Instr::Binop(b) => format!("{:?}", b.op),
        Instr::Unop(u) => format!("{:?}", u.op),
        _ => return None,
    };
    op.contains("Relaxed").then_some(op)
}

impl VisitorMut for Rewrite<'_> {
    fn start_instr_seq_mut(&mut self, seq: &mut InstrSeq) {
        if !seq.instrs.iter().any(|(i, _)| relaxed(i).is_some()) {
            return;
        }
        let mut out = Vec::with_capacity(seq.instrs.len() + 4);
        for (instr, loc) in std::mem::take(&mut seq.instrs) {
            let lowered = match &instr {
                Instr::TernOp(t) => self.madd(&t.op),
                _ => None,
            };
            match lowered {
                Some(plain) => {
                    self.count += 1;
                    out.extend(plain.into_iter().map(|i| (i, loc)));
                }
                None => {
                    if let Some(op) = relaxed(&instr) {
                        self.unsupported.get_or_insert(op);
                    }
                    out.push((instr, loc));
                }
            }
        }
        seq.instrs = out;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use walrus::{FunctionBuilder, Module};
    use wasmparser::{Operator, Parser, Payload};

    /// A module exporting `f(a, b, c)`: `relaxed_madd(a, b, c)` plus, from a
    /// nested block, `relaxed_nmadd(a, b, c)`.
    fn fused() -> Vec<u8> {
        let mut module = Module::default();
        let v = ValType::V128;
        let mut f = FunctionBuilder::new(&mut module.types, &[v, v, v], &[v]);
        let args = [
            module.locals.add(v),
            module.locals.add(v),
            module.locals.add(v),
        ];
        let [a, b, c] = args;
        f.func_body()
            .local_get(a)
            .local_get(b)
            .local_get(c)
            .tern_op(TernaryOp::F32x4RelaxedMadd)
            .block(v, |inner| {
                inner
                    .local_get(a)
                    .local_get(b)
                    .local_get(c)
                    .tern_op(TernaryOp::F32x4RelaxedNmadd);
            })
            .binop(BinaryOp::F32x4Add);
        let id = f.finish(args.to_vec(), &mut module.funcs);
        module.exports.add("f", id);
        module.emit_wasm()
    }

    /// Every operator of the module's code, by name.
    fn operators(wasm: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        for payload in Parser::new(0).parse_all(wasm) {
            if let Payload::CodeSectionEntry(body) = payload.unwrap() {
                let mut reader = body.get_operators_reader().unwrap();
                while !reader.eof() {
                    let op: Operator = reader.read().unwrap();
                    out.push(
                        format!("{op:?}")
                            .split([' ', '{'])
                            .next()
                            .unwrap()
                            .to_string(),
                    );
                }
            }
        }
        out
    }

    #[test]
    fn fused_multiply_adds_become_a_multiply_and_an_add() {
        let wasm = fused();
        // The input needs relaxed SIMD: the plain validator refuses it.
        let mut plain = wasmparser::WasmFeatures::default();
        plain.remove(wasmparser::WasmFeatures::RELAXED_SIMD);
        assert!(
            wasmparser::Validator::new_with_features(plain)
                .validate_all(&wasm)
                .is_err()
        );
        assert!(wasmparser::Validator::new().validate_all(&wasm).is_ok());

        let (out, lowered) = lower(&wasm).unwrap();
        assert_eq!(
            lowered,
            Lowered {
                instructions: 2,
                functions: 1
            }
        );
        let ops = operators(&out);
        assert!(ops.iter().all(|op| !op.contains("Relaxed")), "{ops:?}");
        let expected = [
            "LocalGet", "LocalGet", "LocalGet", "LocalSet", "F32x4Mul", "LocalGet",
            "F32x4Add", // madd
            "Block", "LocalGet", "LocalGet", "LocalGet", "LocalSet", "F32x4Mul", "F32x4Neg",
            "LocalGet", "F32x4Add", "End", // nmadd: c - a * b
            "F32x4Add", "End",
        ];
        assert_eq!(ops, expected);
    }

    #[test]
    fn a_module_without_relaxed_simd_comes_back_unchanged_in_meaning() {
        let (once, _) = lower(&fused()).unwrap();
        let (twice, lowered) = lower(&once).unwrap();
        assert_eq!(
            lowered,
            Lowered {
                instructions: 0,
                functions: 0
            }
        );
        assert_eq!(operators(&once), operators(&twice));
    }

    #[test]
    fn other_relaxed_instructions_are_refused_by_name() {
        let mut module = Module::default();
        let v = ValType::V128;
        let mut f = FunctionBuilder::new(&mut module.types, &[v, v], &[v]);
        f.name("swizzler".into());
        let args = [module.locals.add(v), module.locals.add(v)];
        f.func_body()
            .local_get(args[0])
            .local_get(args[1])
            .binop(BinaryOp::I8x16RelaxedSwizzle);
        let id = f.finish(args.to_vec(), &mut module.funcs);
        module.exports.add("s", id);
        let err = lower(&module.emit_wasm()).unwrap_err().to_string();
        assert!(
            err.contains("swizzler") && err.contains("I8x16RelaxedSwizzle"),
            "{err}"
        );
    }

    #[test]
    fn bytes_that_are_no_module_are_an_error() {
        assert!(matches!(lower(b"not wasm"), Err(LowerError::Parse(_))));
    }
}
