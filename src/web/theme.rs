//! The deployment's accent (`ui.accent_color`) as a stylesheet, /static/theme.css, made once
//! at start. The CSP allows styles only from our own files (`style-src 'self'`, see
//! `web::headers`), so the colour travels as a file rather than an inline style; it is a
//! parsed `Color`, so nothing but `#rrggbb` can reach the CSS.
//!
//! Any colour stays readable: for the light and the dark scheme of static/style.css, the
//! button fill is moved (keeping its hue) until it stands out from the page (3:1, WCAG 2.2
//! SC 1.4.11), its text is black or white, whichever reads better (at least 4.58:1), and
//! links are moved until they read as text on every surface (4.5:1, SC 1.4.3).
use crate::config::UiSettings;
use crate::domain::color::{Color, NON_TEXT_CONTRAST, TEXT_CONTRAST};

/// The surfaces of one colour scheme in static/style.css that accent colours sit on (the
/// unit test below checks they match the stylesheet).
struct Scheme {
    /// --bg, --surface, --stripe
    surfaces: [Color; 3],
}

const LIGHT: Scheme = Scheme {
    surfaces: [
        Color::rgb(0xf4, 0xf5, 0xf7),
        Color::rgb(0xff, 0xff, 0xff),
        Color::rgb(0xf6, 0xf8, 0xfa),
    ],
};

const DARK: Scheme = Scheme {
    surfaces: [
        Color::rgb(0x0d, 0x11, 0x17),
        Color::rgb(0x16, 0x1b, 0x22),
        Color::rgb(0x1c, 0x21, 0x28),
    ],
};

/// The accent's three colours in one scheme.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Accent {
    /// Button fill, the brand mark, the current navigation item.
    fill: Color,
    /// Text on the fill.
    on_fill: Color,
    /// Links and focus rings.
    link: Color,
}

impl Accent {
    fn of(accent: Color, scheme: &Scheme) -> Accent {
        let on_every_surface = |min: f64| {
            scheme
                .surfaces
                .iter()
                .fold(accent, |c, surface| c.with_contrast(*surface, min))
        };
        let fill = on_every_surface(NON_TEXT_CONTRAST);
        Accent {
            fill,
            on_fill: fill.text_on(),
            link: on_every_surface(TEXT_CONTRAST),
        }
    }

    fn declarations(&self) -> String {
        format!(
            "--accent: {}; --on-accent: {}; --link: {};",
            self.fill, self.on_fill, self.link
        )
    }
}

/// /static/theme.css for `ui`.
pub fn stylesheet(ui: &UiSettings) -> String {
    let accent = ui.accent_color;
    format!(
        "/* Made at start from ui.accent_color = {accent} (src/web/theme.rs). */\n\
         :root {{ {} }}\n\
         @media (prefers-color-scheme: dark) {{\n  :root {{ {} }}\n}}\n",
        Accent::of(accent, &LIGHT).declarations(),
        Accent::of(accent, &DARK).declarations(),
    )
}

/// /static/favicon.svg: a key on the accent.
pub fn favicon_svg(ui: &UiSettings) -> String {
    let Accent { fill, on_fill, .. } = Accent::of(ui.accent_color, &LIGHT);
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="7" fill="{fill}"/><g fill="none" stroke="{on_fill}" stroke-width="3" stroke-linecap="round"><circle cx="11" cy="16" r="5"/><path d="M16 16h11M23 16v5M27 16v4"/></g></svg>"##
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const STYLESHEET: &str = include_str!("../../static/style.css");
    const SCHEMES: [(&str, &Scheme); 2] = [("light", &LIGHT), ("dark", &DARK)];

    /// The `--name: #hex;` declarations of the light part and of the dark part.
    fn declared() -> [HashMap<&'static str, Color>; 2] {
        let (light, dark) = STYLESHEET
            .split_once("@media (prefers-color-scheme: dark)")
            .unwrap();
        let read = |part: &'static str| {
            part.lines()
                .filter_map(|line| line.trim().strip_prefix("--")?.split_once(':'))
                .filter_map(|(name, value)| {
                    let color = Color::parse(value.trim().trim_end_matches(';')).ok()?;
                    Some((name, color))
                })
                .collect::<HashMap<_, _>>()
        };
        [read(light), read(dark)]
    }

    /// Each pair: foreground, background, the ratio it needs. Text 4.5:1 (SC 1.4.3); the
    /// edges of inputs and the danger fill 3:1 (SC 1.4.11).
    const PAIRS: &[(&str, &str, f64)] = &[
        ("text", "bg", TEXT_CONTRAST),
        ("text", "surface", TEXT_CONTRAST),
        ("text", "stripe", TEXT_CONTRAST),
        ("text", "field", TEXT_CONTRAST),
        ("muted", "surface", TEXT_CONTRAST),
        ("muted", "bg", TEXT_CONTRAST),
        ("muted", "stripe", TEXT_CONTRAST),
        ("error-text", "error-bg", TEXT_CONTRAST),
        ("success-text", "success-bg", TEXT_CONTRAST),
        ("info-text", "info-bg", TEXT_CONTRAST),
        ("on-danger", "danger", TEXT_CONTRAST),
        ("on-accent", "accent", TEXT_CONTRAST),
        ("link", "surface", TEXT_CONTRAST),
        ("link", "bg", TEXT_CONTRAST),
        ("link", "stripe", TEXT_CONTRAST),
        ("border", "surface", NON_TEXT_CONTRAST),
        ("border", "field", NON_TEXT_CONTRAST),
        ("danger", "surface", NON_TEXT_CONTRAST),
        ("accent", "surface", NON_TEXT_CONTRAST),
    ];

    #[test]
    fn every_colour_pair_of_the_stylesheet_reaches_aa() {
        let mut report = Vec::new();
        for (scheme, colors) in ["light", "dark"].iter().zip(declared()) {
            for (fg, bg, min) in PAIRS {
                let (a, b) = (colors[fg], colors[bg]);
                let ratio = a.contrast(b);
                report.push(format!("{scheme}: --{fg} {a} on --{bg} {b}: {ratio:.2}"));
                assert!(ratio >= *min, "{}", report.last().unwrap());
            }
        }
        // The ratios, for whoever changes a colour: cargo test -- --nocapture
        println!("{}", report.join("\n"));
    }

    #[test]
    fn the_surfaces_here_are_the_stylesheets() {
        for ((name, scheme), colors) in SCHEMES.into_iter().zip(declared()) {
            let named = ["bg", "surface", "stripe"].map(|n| colors[n]);
            assert_eq!(scheme.surfaces, named, "{name}");
        }
    }

    /// The stylesheet's own accent values are what theme.css makes of the default accent,
    /// so a page reads the same before theme.css arrives.
    #[test]
    fn the_stylesheet_carries_the_default_accent() {
        let default = crate::config::Settings::defaults().ui.accent_color;
        for ((name, scheme), colors) in SCHEMES.into_iter().zip(declared()) {
            let made = Accent::of(default, scheme);
            let declared = Accent {
                fill: colors["accent"],
                on_fill: colors["on-accent"],
                link: colors["link"],
            };
            assert_eq!(declared, made, "{name}");
        }
    }

    #[test]
    fn any_accent_is_made_readable_in_both_schemes() {
        for raw in [
            "#b7410e", "#ffffff", "#000000", "#ffff00", "#0000ff", "#777777", "#1f6feb", "#0a5",
        ] {
            for (name, scheme) in SCHEMES {
                let a = Accent::of(Color::parse(raw).unwrap(), scheme);
                for surface in scheme.surfaces {
                    let (fill, link) = (a.fill.contrast(surface), a.link.contrast(surface));
                    assert!(fill >= NON_TEXT_CONTRAST, "{raw} {name}: fill {fill}");
                    assert!(link >= TEXT_CONTRAST, "{raw} {name}: link {link}");
                }
                assert!(a.on_fill.contrast(a.fill) >= TEXT_CONTRAST, "{raw}");
            }
        }
    }

    #[test]
    fn theme_css_holds_only_the_parsed_colours() {
        let ui = UiSettings {
            product_name: "Acme ID".into(),
            accent_color: Color::parse("#0A5").unwrap(),
        };
        let css = stylesheet(&ui);
        assert!(css.starts_with("/* Made at start from ui.accent_color = #00aa55"));
        assert!(css.contains(":root { --accent: #00"), "{css}");
        assert!(css.contains("@media (prefers-color-scheme: dark)"), "{css}");
        assert!(favicon_svg(&ui).contains("<svg"));
    }
}
