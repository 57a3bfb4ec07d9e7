//! The share link: the whole workspace in the URL fragment,
//! `#w=<base64url(deflate(json))>`, as TensorFlow Playground keeps its state
//! in the hash (the fragment never reaches the server).
//!
//! Compression is raw DEFLATE (RFC 1951) by `miniz_oxide` at level 9, encoded
//! as base64url without padding (RFC 4648 §5), so the fragment needs no
//! escaping. Decoding treats its input as hostile: sizes are checked before
//! each step, inflation stops at [`MAX_JSON_BYTES`] (no zip bombs), and every
//! failure is a typed [`WorkspaceError`], never a panic.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{Result, WorkspaceError};
use crate::workspace::Workspace;

/// The fragment's key.
pub const PREFIX: &str = "w=";
/// The longest fragment [`encode`] makes. Browsers take far longer URLs
/// (Chromium 2 MB), but chat apps, mail and QR codes cut or refuse them
/// well before; beyond this the page offers a file export instead.
pub const MAX_LINK_CHARS: usize = 16_000;
/// The longest fragment [`decode`] reads (links made by other builds, or by
/// hand, may exceed [`MAX_LINK_CHARS`] a little).
pub const MAX_DECODE_CHARS: usize = 64_000;
/// The most JSON a link may inflate to.
pub const MAX_JSON_BYTES: usize = 1 << 20;

/// The fragment for `workspace`, `#` included: `#w=...`; [`WorkspaceError::TooBig`]
/// when it would be longer than [`MAX_LINK_CHARS`].
pub fn encode(workspace: &Workspace) -> Result<String> {
    let json = workspace.to_json();
    let packed = miniz_oxide::deflate::compress_to_vec(json.as_bytes(), 9);
    let fragment = format!("#{PREFIX}{}", URL_SAFE_NO_PAD.encode(packed));
    if fragment.len() > MAX_LINK_CHARS {
        return Err(WorkspaceError::TooBig {
            what: "the share link",
            size: fragment.len(),
            limit: MAX_LINK_CHARS,
            hint: "; export the workspace as a file instead",
        });
    }
    Ok(fragment)
}

/// Reads a workspace from a URL's fragment (`#w=...`, with or without the
/// `#`), or from a whole URL holding one. `Ok(None)` when the fragment
/// holds no workspace (empty, or other keys only).
pub fn decode(fragment_or_url: &str) -> Result<Option<Workspace>> {
    let fragment = match fragment_or_url.find('#') {
        Some(i) => &fragment_or_url[i + 1..],
        None => fragment_or_url,
    };
    let Some(payload) = fragment
        .split('&')
        .find_map(|part| part.strip_prefix(PREFIX))
    else {
        return Ok(None);
    };
    if payload.len() > MAX_DECODE_CHARS {
        return Err(WorkspaceError::TooBig {
            what: "the share link",
            size: payload.len(),
            limit: MAX_DECODE_CHARS,
            hint: "",
        });
    }
    if let Some(position) = payload
        .bytes()
        .position(|b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    {
        return Err(WorkspaceError::Base64 { position });
    }
    let packed = URL_SAFE_NO_PAD.decode(payload).map_err(|e| match e {
        base64::DecodeError::InvalidByte(position, _) => WorkspaceError::Base64 { position },
        base64::DecodeError::InvalidLastSymbol(position, _) => WorkspaceError::Base64 { position },
        _ => WorkspaceError::Base64 {
            position: payload.len(),
        },
    })?;
    let json = miniz_oxide::inflate::decompress_to_vec_with_limit(&packed, MAX_JSON_BYTES)
        .map_err(|e| match e.status {
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => WorkspaceError::TooBig {
                what: "the share link's workspace",
                size: MAX_JSON_BYTES + 1,
                limit: MAX_JSON_BYTES,
                hint: "",
            },
            status => WorkspaceError::Decompress(format!("{status:?}")),
        })?;
    let text = std::str::from_utf8(&json).map_err(|e| {
        WorkspaceError::Decompress(format!("not UTF-8 at byte {}", e.valid_up_to()))
    })?;
    Workspace::from_json(text).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_workspace_fits_a_link_and_round_trips() {
        let ws = Workspace::default();
        let link = encode(&ws).unwrap();
        assert!(link.starts_with("#w="));
        assert!(link.len() < 4_000, "{} chars", link.len());
        assert_eq!(decode(&link).unwrap(), Some(ws.clone()));
        let url = format!("http://localhost:8080/{link}");
        assert_eq!(decode(&url).unwrap(), Some(ws));
    }

    #[test]
    fn other_fragments_hold_no_workspace() {
        assert_eq!(decode("").unwrap(), None);
        assert_eq!(decode("#").unwrap(), None);
        assert_eq!(decode("#section-2").unwrap(), None);
        assert_eq!(decode("http://x/#a=1&b=2").unwrap(), None);
    }

    #[test]
    fn a_state_too_big_for_a_link_says_so() {
        let mut ws = Workspace::default();
        // Incompressible text: a pseudo-random walk over letters.
        let mut x: u64 = 1;
        ws.system_prompt = (0..40_000)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                char::from(b'a' + (x >> 59) as u8 % 26)
            })
            .collect();
        let e = encode(&ws).unwrap_err();
        assert!(matches!(e, WorkspaceError::TooBig { .. }));
        assert!(
            e.to_string().contains("export the workspace as a file"),
            "{e}"
        );
    }

    #[test]
    fn damaged_links_are_refused_with_a_reason() {
        let link = encode(&Workspace::default()).unwrap();
        // Not base64url.
        assert_eq!(
            decode("#w=abc$def"),
            Err(WorkspaceError::Base64 { position: 3 })
        );
        assert!(matches!(decode("#w=a"), Err(WorkspaceError::Base64 { .. })));
        // Truncated.
        // Cut to whole base64 quanta, so the damage is in the DEFLATE data.
        let cut = &link[..3 + (link.len() - 3) / 8 * 4];
        assert!(
            matches!(decode(cut), Err(WorkspaceError::Decompress(_))),
            "{:?}",
            decode(cut)
        );
        // Valid compression of something that is not a workspace.
        let packed = |s: &str| {
            format!(
                "#w={}",
                URL_SAFE_NO_PAD.encode(miniz_oxide::deflate::compress_to_vec(s.as_bytes(), 6))
            )
        };
        assert!(matches!(
            decode(&packed("[1,2]")),
            Err(WorkspaceError::Json { .. })
        ));
        assert!(matches!(
            decode(&packed(r#"{"version": 99}"#)),
            Err(WorkspaceError::UnsupportedVersion { found: 99, .. })
        ));
        // Too long to read.
        let long = format!("#w={}", "A".repeat(MAX_DECODE_CHARS + 1));
        assert!(matches!(decode(&long), Err(WorkspaceError::TooBig { .. })));
    }

    #[test]
    fn a_zip_bomb_stops_at_the_limit() {
        let zeros = vec![b' '; 8 << 20];
        let packed = miniz_oxide::deflate::compress_to_vec(&zeros, 9);
        let link = format!("#w={}", URL_SAFE_NO_PAD.encode(&packed));
        assert!(link.len() < MAX_DECODE_CHARS, "{}", link.len());
        assert!(matches!(decode(&link), Err(WorkspaceError::TooBig { .. })));
    }

    #[test]
    fn script_in_a_field_is_only_text() {
        let ws = Workspace {
            system_prompt: "<img src=x onerror=alert(1)></script>\u{0}\"'".into(),
            ..Workspace::default()
        };
        let back = decode(&encode(&ws).unwrap()).unwrap().unwrap();
        assert_eq!(back.system_prompt, ws.system_prompt);
    }
}
