//! An sRGB colour as a deployment gives it (`ui.accent_color`), and the WCAG 2.2 contrast
//! arithmetic that keeps text readable whatever colour that is.
//!
//! Only `#rgb` and `#rrggbb` are accepted: the value is written into a stylesheet and into
//! mail, so nothing but hex digits may reach them (no `red; } body { …`, no `url(…)`).
use std::fmt;

use super::DomainError;

/// WCAG 2.2 SC 1.4.3 (AA): normal text against its background.
pub const TEXT_CONTRAST: f64 = 4.5;
/// WCAG 2.2 SC 1.4.11: the edges of controls (input borders, button fills, focus rings).
pub const NON_TEXT_CONTRAST: f64 = 3.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Color {
    r: u8,
    g: u8,
    b: u8,
}

impl Color {
    pub const BLACK: Color = Color::rgb(0, 0, 0);
    pub const WHITE: Color = Color::rgb(255, 255, 255);

    pub const fn rgb(r: u8, g: u8, b: u8) -> Color {
        Color { r, g, b }
    }

    /// `#rgb` or `#rrggbb`, hex digits in either case.
    pub fn parse(raw: &str) -> Result<Color, DomainError> {
        const REFUSED: DomainError =
            DomainError("a colour must be written #rgb or #rrggbb (hex digits)");
        let hex = raw.strip_prefix('#').ok_or(REFUSED)?;
        if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(REFUSED);
        }
        let digit = |i: usize| u8::from_str_radix(&hex[i..=i], 16).map_err(|_| REFUSED);
        let pair = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| REFUSED);
        match hex.len() {
            // #abc is #aabbcc (CSS Color 4 §5.2).
            3 => Ok(Color::rgb(digit(0)? * 17, digit(1)? * 17, digit(2)? * 17)),
            6 => Ok(Color::rgb(pair(0)?, pair(2)?, pair(4)?)),
            _ => Err(REFUSED),
        }
    }

    /// WCAG 2.2 "relative luminance": 0 for black, 1 for white.
    pub fn luminance(self) -> f64 {
        let linear = |c: u8| {
            let c = f64::from(c) / 255.0;
            if c <= 0.04045 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * linear(self.r) + 0.7152 * linear(self.g) + 0.0722 * linear(self.b)
    }

    /// WCAG 2.2 "contrast ratio", from 1 (same) to 21 (black on white); symmetric.
    pub fn contrast(self, other: Color) -> f64 {
        let (a, b) = (self.luminance(), other.luminance());
        (a.max(b) + 0.05) / (a.min(b) + 0.05)
    }

    /// Black or white, whichever reads better on this colour: at least 4.58:1 for any colour
    /// (the two contrasts multiply to 21).
    pub fn text_on(self) -> Color {
        if self.contrast(Color::BLACK) >= self.contrast(Color::WHITE) {
            Color::BLACK
        } else {
            Color::WHITE
        }
    }

    /// This colour, or the nearest step from it toward black or white (whichever `background`
    /// contrasts with more) that reaches `min` against `background`. Keeps the hue of an
    /// accent while making it a legible link on a light page and on a dark one.
    pub fn with_contrast(self, background: Color, min: f64) -> Color {
        let extreme = background.text_on();
        (0..=20)
            .map(|step| self.mix(extreme, f64::from(step) / 20.0))
            .find(|candidate| candidate.contrast(background) >= min)
            .unwrap_or(extreme)
    }

    /// `t` of the way from this colour to `other`, per sRGB channel.
    fn mix(self, other: Color, t: f64) -> Color {
        let channel = |a: u8, b: u8| {
            let mixed = f64::from(a) + (f64::from(b) - f64::from(a)) * t;
            // In 0..=255 by construction; the cast only drops the fraction after rounding.
            mixed.round().clamp(0.0, 255.0) as u8
        };
        Color::rgb(
            channel(self.r, other.r),
            channel(self.g, other.g),
            channel(self.b, other.b),
        )
    }
}

/// Always `#rrggbb`, lower case: the one form written into CSS and mail.
impl fmt::Display for Color {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(raw: &str) -> Color {
        Color::parse(raw).unwrap()
    }

    #[test]
    fn only_hex_colours_are_accepted() {
        for (raw, shown) in [
            ("#b7410e", "#b7410e"),
            ("#B7410E", "#b7410e"),
            ("#fff", "#ffffff"),
            ("#0a5", "#00aa55"),
        ] {
            assert_eq!(c(raw).to_string(), shown, "{raw}");
        }
        for raw in [
            "",
            "#",
            "b7410e",
            "#b7410",
            "#b7410e0",
            "#b7410eff",
            "#gggggg",
            "red",
            "#fff; } body { display: none",
            "url(https://evil.example/x)",
            "#+12345",
            "#é12",
        ] {
            assert!(Color::parse(raw).is_err(), "{raw:?}");
        }
    }

    /// Reference values from the WCAG 2.2 definitions (and any contrast checker).
    #[test]
    fn contrast_ratios_follow_wcag() {
        let cases = [
            ("#000000", "#ffffff", 21.0),
            ("#ffffff", "#ffffff", 1.0),
            ("#777777", "#ffffff", 4.48),
            ("#767676", "#ffffff", 4.54),
            ("#b00020", "#000000", 2.87),
            ("#0000ff", "#ffffff", 8.59),
        ];
        for (a, b, expected) in cases {
            let ratio = c(a).contrast(c(b));
            assert!((ratio - expected).abs() < 0.01, "{a} on {b}: {ratio}");
            assert_eq!(ratio, c(b).contrast(c(a)), "symmetric");
        }
    }

    #[test]
    fn text_on_any_colour_reaches_aa() {
        for raw in [
            "#000", "#fff", "#777", "#808080", "#b7410e", "#ff0", "#00f", "#1f6feb",
        ] {
            let background = c(raw);
            let ratio = background.text_on().contrast(background);
            assert!(ratio >= TEXT_CONTRAST, "{raw}: {ratio}");
        }
        assert_eq!(c("#ffff00").text_on(), Color::BLACK);
        assert_eq!(c("#00008b").text_on(), Color::WHITE);
    }

    /// Each case: an accent, a page background, and whether the accent already reads there.
    #[test]
    fn an_accent_is_moved_just_enough_to_read() {
        let (white, dark) = (Color::WHITE, c("#161b22"));
        let cases = [
            ("#b7410e", white, true),
            ("#1f6feb", white, true),
            ("#ffcc00", white, false),
            ("#b7410e", dark, false),
            ("#ffcc00", dark, true),
            ("#000080", dark, false),
        ];
        for (accent, background, reads) in cases {
            let accent = c(accent);
            let moved = accent.with_contrast(background, TEXT_CONTRAST);
            assert!(
                moved.contrast(background) >= TEXT_CONTRAST,
                "{accent} → {moved}"
            );
            assert_eq!(moved == accent, reads, "{accent} → {moved}");
        }
    }
}
