//! Names to save a received file under, safe on every system, and distinct within one
//! exchange.

use std::collections::HashSet;

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

/// The names to save an exchange's files under, in the files' order: `names` (already
/// [`safe_file_name`]s) with those that repeat an earlier one, ignoring case (as the file
/// systems of Windows and macOS do), renamed « nom (2).ext », « nom (3).ext »… The first
/// of each name keeps it, a number never makes a name another file of the exchange
/// already bears, and the result stays within 200 characters. Deterministic: the same
/// list always gives the same names.
pub fn distinct_names(names: &[String]) -> Vec<String> {
    let taken_by_some: HashSet<String> = names.iter().map(|n| n.to_lowercase()).collect();
    let mut used: HashSet<String> = HashSet::with_capacity(names.len());
    names
        .iter()
        .map(|name| {
            if used.insert(name.to_lowercase()) {
                return name.clone();
            }
            let (stem, extension) = split_extension(name);
            let mut number = 2u64;
            loop {
                let candidate = numbered(stem, extension, number);
                let folded = candidate.to_lowercase();
                if !taken_by_some.contains(&folded) && used.insert(folded) {
                    return candidate;
                }
                number = number.saturating_add(1);
            }
        })
        .collect()
}

/// `name` numbered « nom (2).ext », « nom (3).ext »… (`number` from 2), within the same
/// length: the name to give a file when `name` is taken in its folder.
pub fn numbered_name(name: &str, number: u64) -> String {
    let (stem, extension) = split_extension(name);
    numbered(stem, extension, number)
}

/// `name` as its stem and its extension (with the dot), as [`shorten`] tells them apart:
/// a dot after the first character, 2 to 17 characters from it, no space.
fn split_extension(name: &str) -> (&str, &str) {
    name.rfind('.')
        .filter(|&dot| dot > 0)
        .and_then(|dot| Some((name.get(..dot)?, name.get(dot..)?)))
        .filter(|(_, ext)| (2..=17).contains(&ext.chars().count()) && !ext.contains(' '))
        .unwrap_or((name, ""))
}

/// « stem (number)extension », the stem cut so that the whole stays within
/// [`MAX_NAME_CHARS`].
fn numbered(stem: &str, extension: &str, number: u64) -> String {
    let suffix = format!(" ({number})");
    let room = MAX_NAME_CHARS
        .saturating_sub(suffix.chars().count())
        .saturating_sub(extension.chars().count());
    let stem: String = stem.chars().take(room).collect();
    format!("{stem}{suffix}{extension}")
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
    use super::{distinct_names, numbered_name, safe_file_name};

    fn distinct(names: &[&str]) -> Vec<String> {
        let names: Vec<String> = names.iter().map(|n| safe_file_name(n, "fichier")).collect();
        distinct_names(&names)
    }

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

    #[test]
    fn names_that_clean_to_the_same_are_numbered_in_file_order() {
        assert_eq!(
            distinct(&[
                "rapport:1.pdf",
                "rapport?1.pdf",
                "annexe.pdf",
                "rapport*1.pdf"
            ]),
            [
                "rapport_1.pdf",
                "rapport_1 (2).pdf",
                "annexe.pdf",
                "rapport_1 (3).pdf"
            ]
        );
        // Distinct names are left alone.
        assert_eq!(distinct(&["a.pdf", "b.pdf"]), ["a.pdf", "b.pdf"]);
        assert_eq!(
            distinct(&["x/y.txt", "x\\y.txt"]),
            ["x_y.txt", "x_y (2).txt"]
        );
    }

    #[test]
    fn a_taken_name_is_numbered_before_its_extension() {
        assert_eq!(numbered_name("rapport.pdf", 2), "rapport (2).pdf");
        assert_eq!(numbered_name("notes", 3), "notes (3)");
        let long = format!("{}.pdf", "é".repeat(198));
        let numbered = numbered_name(&long, 12);
        assert_eq!(numbered.chars().count(), 200);
        assert!(numbered.ends_with(" (12).pdf"), "{numbered}");
    }

    #[test]
    fn names_differing_only_by_case_collide_as_on_windows_and_macos() {
        assert_eq!(
            distinct(&["Rapport.PDF", "rapport.pdf", "RAPPORT.pdf"]),
            ["Rapport.PDF", "rapport (2).pdf", "RAPPORT (3).pdf"]
        );
        assert_eq!(
            distinct(&["Élève.txt", "élève.txt"]),
            ["Élève.txt", "élève (2).txt"]
        );
    }

    #[test]
    fn a_number_never_takes_the_name_of_another_file() {
        // The third file is really called « a (2).pdf »: the copy of « a.pdf » gets (3).
        assert_eq!(
            distinct(&["a.pdf", "a.pdf", "a (2).pdf"]),
            ["a.pdf", "a (3).pdf", "a (2).pdf"]
        );
        assert_eq!(
            distinct(&["a (2).pdf", "a.pdf", "A.PDF"]),
            ["a (2).pdf", "a.pdf", "A (3).PDF"]
        );
    }

    #[test]
    fn names_without_extension_fallbacks_and_long_names_are_numbered_too() {
        assert_eq!(distinct(&["README", "readme"]), ["README", "readme (2)"]);
        assert_eq!(distinct(&["...", " "]), ["fichier", "fichier (2)"]);
        // « archive.tar.gz »: the last extension is kept.
        assert_eq!(
            distinct(&["archive.tar.gz", "archive.tar.gz"]),
            ["archive.tar.gz", "archive.tar (2).gz"]
        );
        let long = format!("{}.pdf", "é".repeat(300));
        let names = distinct(&[&long, &long]);
        assert_eq!(names[0].chars().count(), 200);
        assert_eq!(names[1].chars().count(), 200);
        assert!(names[1].ends_with(" (2).pdf"), "{}", names[1]);
        assert_ne!(names[0], names[1]);
    }
}
