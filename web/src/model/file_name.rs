//! Names to save a received file under, safe on every system.

/// The longest name given to a saved file, in characters.
const MAX_NAME_CHARS: usize = 200;

/// A name that is safe to save a file under on any system: no path separators, no
/// control or bidirectional-override characters (which disguise `…fdp.exe` as
/// `…exe.pdf`), none of Windows' reserved characters or device names, no leading dot (a
/// hidden file) nor trailing dot or space, at most 200 characters with the extension
/// kept. `fallback` replaces a name that ends up empty.
pub fn safe_file_name(name: &str, fallback: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|c| !c.is_control() && !is_invisible_format(*c))
        .map(|c| match c {
            '/' | '\\' | '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            c => c,
        })
        .collect();
    let trimmed = cleaned
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    let mut name = shorten(trimmed);
    if name.is_empty() {
        return fallback.to_owned();
    }
    if is_reserved_on_windows(&name) {
        name.insert(0, '_');
        name = shorten(&name);
    }
    name
}

/// Zero-width and bidirectional formatting characters.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

/// At most [`MAX_NAME_CHARS`], cutting the stem and keeping a short extension.
fn shorten(name: &str) -> String {
    if name.chars().count() <= MAX_NAME_CHARS {
        return name.to_owned();
    }
    let extension = name
        .rfind('.')
        .map(|dot| name.get(dot..).unwrap_or_default())
        .filter(|ext| (2..=17).contains(&ext.chars().count()) && !ext.contains(' '))
        .unwrap_or_default();
    let stem_len = MAX_NAME_CHARS - extension.chars().count();
    let stem: String = name.chars().take(stem_len).collect();
    let stem = stem.trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    format!("{stem}{extension}")
}

/// `CON`, `NUL`, `COM1`, `LPT1.txt`…: names Windows gives to devices, whatever the
/// extension.
fn is_reserved_on_windows(name: &str) -> bool {
    let stem = name
        .split('.')
        .next()
        .unwrap_or_default()
        .trim_end()
        .to_ascii_uppercase();
    matches!(
        stem.as_str(),
        "CON" | "PRN" | "AUX" | "NUL" | "CONIN$" | "CONOUT$" | "CLOCK$"
    ) || ["COM", "LPT"].iter().any(|prefix| {
        stem.strip_prefix(prefix).is_some_and(|rest| {
            matches!(
                rest,
                "0" | "1" | "2" | "3" | "4" | "5" | "6" | "7" | "8" | "9" | "¹" | "²" | "³"
            )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::safe_file_name;

    #[test]
    fn separators_reserved_characters_and_hidden_dots_go() {
        assert_eq!(safe_file_name("../../etc/passwd", "f"), "_.._etc_passwd");
        assert_eq!(safe_file_name("a:b*c?.pdf", "f"), "a_b_c_.pdf");
        assert_eq!(safe_file_name(".bashrc", "f"), "bashrc");
        assert_eq!(safe_file_name("rapport. ", "f"), "rapport");
    }

    #[test]
    fn a_bidirectional_override_cannot_disguise_an_extension() {
        // "rapport\u{202E}fdp.exe" shows as "rapportexe.pdf" in many file managers.
        assert_eq!(
            safe_file_name("rapport\u{202E}fdp.exe", "f"),
            "rapportfdp.exe"
        );
        assert_eq!(safe_file_name("a\u{200B}b\u{0007}.txt", "f"), "ab.txt");
    }

    #[test]
    fn windows_device_names_are_prefixed_and_empty_names_fall_back() {
        assert_eq!(safe_file_name("CON", "f"), "_CON");
        assert_eq!(safe_file_name("lpt1.txt", "f"), "_lpt1.txt");
        assert_eq!(safe_file_name("COM10.txt", "f"), "COM10.txt");
        assert_eq!(safe_file_name(" ... ", "fichier"), "fichier");
    }

    #[test]
    fn long_names_are_cut_keeping_their_extension() {
        let long = format!("{}.pdf", "é".repeat(300));
        let safe = safe_file_name(&long, "f");
        assert_eq!(safe.chars().count(), 200);
        assert!(safe.ends_with(".pdf"), "{safe}");
    }
}
