//! The pictures behind the URLs the mock hands out: `/qr/{config_id}` (a config's `qr_code`) is
//! a real QR code, `/media/{media_id}` (a conclusions image's `pic_url`) a placeholder.
//!
//! The PNG is written by hand (1-bit grayscale, stored deflate blocks): a few dozen lines instead
//! of an image library.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Response, StatusCode};
use qrcode::{Color, QrCode};

use super::Body;
use crate::domain::contact_way::qr_code_url;
use crate::model::parse_config_id;
use crate::state::MockState;

/// Pixels per QR module.
const SCALE: u32 = 8;
/// The quiet zone around the code, in modules, as the QR standard asks.
const QUIET: u32 = 4;

/// Answers `GET /qr/{config_id}` and `GET /media/{media_id}`; `None` for any other request.
pub(super) fn serve(state: &MockState, method: &Method, path: &str) -> Option<Response<Body>> {
    if method != Method::GET && method != Method::HEAD {
        return None;
    }
    if let Some(id) = path.strip_prefix("/qr/") {
        return Some(match qr_target(state, id) {
            Some(url) => match qr_png(&url) {
                Some(png) => png_response(png),
                None => not_found("the QR code could not be drawn"),
            },
            None => not_found("no config with a QR code has this id"),
        });
    }
    if path.strip_prefix("/media/").is_some_and(|id| !id.is_empty() && !id.contains('/')) {
        return Some(png_response(placeholder_png()));
    }
    None
}

/// The `qr_code` URL of a QR config (scene 2, Contact Me or Join Group) in any corp.
fn qr_target(state: &MockState, id: &str) -> Option<String> {
    let config = parse_config_id(id)?;
    let qr_scene = wecom_types::api::Scene::QR_CODE.0;
    state.corpids().into_iter().filter_map(|corpid| state.corp(&corpid)).find_map(|corp| {
        corp.read(|st, _| {
            let is_qr = st
                .contact_ways
                .get(&config)
                .map(|w| w.scene == qr_scene)
                .or_else(|| st.join_ways.get(&config).map(|w| w.scene == qr_scene));
            is_qr.filter(|qr| *qr).map(|_| qr_code_url(&state.settings.public_url, config))
        })
    })
}

fn png_response(png: Vec<u8>) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(png)));
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("image/png"));
    // A deleted config's code must stop showing.
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn not_found(text: &'static str) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = StatusCode::NOT_FOUND;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

/// A QR code of `text` as a PNG, black on white with the quiet zone.
pub(crate) fn qr_png(text: &str) -> Option<Vec<u8>> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    let modules = u32::try_from(code.width()).ok()?;
    let colors = code.to_colors();
    let side = (modules + 2 * QUIET) * SCALE;
    Some(png(side, side, |x, y| {
        let (mx, my) = ((x / SCALE).checked_sub(QUIET), (y / SCALE).checked_sub(QUIET));
        match (mx, my) {
            (Some(mx), Some(my)) if mx < modules && my < modules => {
                colors.get((my * modules + mx) as usize) == Some(&Color::Dark)
            }
            _ => false,
        }
    }))
}

/// A 96×96 checkerboard: obviously a stand-in.
fn placeholder_png() -> Vec<u8> {
    png(96, 96, |x, y| (x / 12 + y / 12) % 2 == 0)
}

/// A 1-bit grayscale PNG; `dark(x, y)` says which pixels are black.
fn png(width: u32, height: u32, dark: impl Fn(u32, u32) -> bool) -> Vec<u8> {
    let row_bytes = width.div_ceil(8) as usize;
    let mut raw = Vec::with_capacity((row_bytes + 1) * height as usize);
    for y in 0..height {
        raw.push(0); // filter: none
        for byte in 0..row_bytes {
            let mut bits = 0u8;
            for bit in 0..8 {
                let x = byte as u32 * 8 + bit;
                // In 1-bit grayscale 1 is white; bits past the width are padding.
                if x >= width || !dark(x, y) {
                    bits |= 0x80 >> bit;
                }
            }
            raw.push(bits);
        }
    }
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]); // bit depth 1, grayscale, deflate, no filter set, no interlace
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &zlib_stored(&raw));
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream of uncompressed ("stored") deflate blocks: valid everywhere, and QR pictures
/// are small enough that compressing them is not worth the code.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let mut blocks = data.chunks(0xffff).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        out.push(u8::from(blocks.peek().is_none()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xedb8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for byte in bytes {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_their_published_values() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(crc32(b"IEND"), 0xae42_6082);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
    }

    #[test]
    fn a_png_has_its_signature_header_and_end() {
        let png = png(10, 3, |x, _| x % 2 == 0);
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x0a\0\0\0\x03\x01\0"));
        assert!(png.ends_with(b"IEND\xae\x42\x60\x82"));
    }

    #[test]
    fn stored_blocks_split_at_64_kib() {
        let data = vec![7u8; 70_000];
        let z = zlib_stored(&data);
        // Header, two block headers, the data, the checksum.
        assert_eq!(z.len(), 2 + 5 + 65_535 + 5 + (70_000 - 65_535) + 4);
        assert_eq!(z[2], 0, "the first block is not the last");
        assert_eq!(z[2 + 5 + 65_535], 1, "the second block is the last");
    }

    #[test]
    fn a_qr_code_is_its_modules_plus_the_quiet_zone_scaled() {
        let text = "http://127.0.0.1:8080/qr/0123456789abcdef0123456789abcdef";
        let modules = QrCode::new(text.as_bytes()).map(|c| c.width() as u32).unwrap_or_default();
        assert!(modules >= 21, "a real QR version");
        let Some(png) = qr_png(text) else { panic!("drawn") };
        let side = ((modules + 2 * QUIET) * SCALE).to_be_bytes();
        assert_eq!(&png[16..20], &side, "width");
        assert_eq!(&png[20..24], &side, "height");
    }
}
