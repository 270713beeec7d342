//! The pictures behind the URLs the mock hands out: `/qr/{config_id}` (a config's `qr_code`) is
//! a real QR code, `/media/{media_id}` (a conclusions image's `pic_url`) a placeholder.
//!
//! The QR modules come from `qrcode`, the PNG around them from `png` (1-bit grayscale).

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Response, StatusCode};
use qrcode::{Color, QrCode};

use super::response::Body;
use crate::core::domain::contact_way::qr_code_url;
use crate::core::model::parse_config_id;
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
        return Some(match placeholder_png() {
            Some(png) => png_response(png),
            None => not_found("the placeholder could not be drawn"),
        });
    }
    None
}

/// The `qr_code` URL of a QR config (scene 2, Contact Me or Join Group) in any corp.
fn qr_target(state: &MockState, id: &str) -> Option<String> {
    let config = parse_config_id(id)?;
    let qr_scene = wecom_types::api::Scene::QR_CODE;
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
    png(side, side, |x, y| {
        let (mx, my) = ((x / SCALE).checked_sub(QUIET), (y / SCALE).checked_sub(QUIET));
        match (mx, my) {
            (Some(mx), Some(my)) if mx < modules && my < modules => {
                colors.get((my * modules + mx) as usize) == Some(&Color::Dark)
            }
            _ => false,
        }
    })
}

/// A 96×96 checkerboard: obviously a stand-in.
fn placeholder_png() -> Option<Vec<u8>> {
    png(96, 96, |x, y| (x / 12 + y / 12) % 2 == 0)
}

/// A 1-bit grayscale PNG; `dark(x, y)` says which pixels are black. `None` only if the encoder
/// refuses the picture (it cannot for the sizes drawn here).
fn png(width: u32, height: u32, dark: impl Fn(u32, u32) -> bool) -> Option<Vec<u8>> {
    let row_bytes = width.div_ceil(8) as usize;
    let mut raw = Vec::with_capacity(row_bytes * height as usize);
    for y in 0..height {
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
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    let mut writer = encoder.write_header().ok()?;
    writer.write_image_data(&raw).ok()?;
    writer.finish().ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The picture's size and whether each pixel is dark, as a PNG decoder reads it.
    fn decode(png: &[u8]) -> (u32, u32, Vec<bool>) {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().expect("a PNG");
        let mut pixels = vec![0; reader.output_buffer_size()];
        let frame = reader.next_frame(&mut pixels).expect("one frame");
        assert_eq!(frame.color_type, png::ColorType::Grayscale);
        let dark = pixels[..frame.buffer_size()].iter().map(|v| *v < 128).collect();
        (frame.width, frame.height, dark)
    }

    #[test]
    fn a_png_reads_back_as_the_pixels_drawn() {
        let drawn = |x: u32, y: u32| (x + y).is_multiple_of(3);
        let (width, height, dark) = decode(&png(10, 3, drawn).expect("drawn"));
        assert_eq!((width, height), (10, 3));
        let expected: Vec<bool> = (0..3).flat_map(|y| (0..10).map(move |x| drawn(x, y))).collect();
        assert_eq!(dark, expected);
    }

    #[test]
    fn a_qr_code_is_its_modules_plus_the_quiet_zone_scaled() {
        let text = "http://127.0.0.1:8080/qr/0123456789abcdef0123456789abcdef";
        let modules = QrCode::new(text.as_bytes()).map(|c| c.width() as u32).unwrap_or_default();
        assert!(modules >= 21, "a real QR version");
        let (width, height, dark) = decode(&qr_png(text).expect("drawn"));
        let side = (modules + 2 * QUIET) * SCALE;
        assert_eq!((width, height), (side, side));
        assert!(!dark[0], "the quiet zone is white");
        let finder = ((QUIET * SCALE) * side + QUIET * SCALE) as usize;
        assert!(dark[finder], "the top-left finder pattern starts after the quiet zone");
    }
}
