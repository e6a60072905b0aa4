//! A small PDF writer: A4 pages of text and rules in the standard Helvetica and Courier fonts
//! (nothing embedded), WinAnsi-encoded, streams left uncompressed so the text can be searched
//! and read back by tests. Enough for invoices; no images, no layout engine.

/// The fonts every PDF reader has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    Regular,
    Bold,
    /// Fixed width: every glyph is 0.6 of the size, so columns of figures line up and can be
    /// right-aligned.
    Mono,
}

impl Font {
    fn name(self) -> &'static str {
        match self {
            Font::Regular => "F1",
            Font::Bold => "F2",
            Font::Mono => "F3",
        }
    }
}

pub const PAGE_WIDTH: f32 = 595.0;
pub const PAGE_HEIGHT: f32 = 842.0;

#[derive(Debug, Default)]
pub struct Doc {
    pages: Vec<Vec<u8>>,
    current: Vec<u8>,
}

/// `s` as a PDF string literal in WinAnsi encoding: bytes above 127 as octal escapes, so the
/// file stays ASCII; characters outside WinAnsi become `?`.
fn literal(s: &str) -> String {
    let mut out = String::from("(");
    for c in s.chars() {
        let byte: u32 = match c {
            '€' => 0x80,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '→' => {
                out.push_str("->");
                continue;
            }
            c if (' '..='~').contains(&c) || ('\u{a0}'..='\u{ff}').contains(&c) => c as u32,
            _ => u32::from(b'?'),
        };
        match byte {
            0x28 | 0x29 | 0x5c => {
                out.push('\\');
                out.push(char::from_u32(byte).unwrap_or('?'));
            }
            0x20..=0x7e => out.push(char::from_u32(byte).unwrap_or('?')),
            _ => out.push_str(&format!("\\{byte:03o}")),
        }
    }
    out.push(')');
    out
}

impl Doc {
    pub fn new() -> Self {
        Doc::default()
    }

    /// Text with its baseline starting at (`x`, `y`), from the bottom-left corner.
    pub fn text(&mut self, x: f32, y: f32, size: f32, font: Font, s: &str) {
        let op = format!(
            "BT /{} {size:.1} Tf {x:.2} {y:.2} Td {} Tj ET\n",
            font.name(),
            literal(s)
        );
        self.current.extend_from_slice(op.as_bytes());
    }

    /// Fixed-width text ending at `right`.
    pub fn text_right(&mut self, right: f32, y: f32, size: f32, s: &str) {
        let width = 0.6 * size * s.chars().count() as f32;
        self.text(right - width, y, size, Font::Mono, s);
    }

    /// A thin horizontal rule.
    pub fn rule(&mut self, x1: f32, x2: f32, y: f32) {
        let op = format!("0.5 w {x1:.2} {y:.2} m {x2:.2} {y:.2} l S\n");
        self.current.extend_from_slice(op.as_bytes());
    }

    /// Ends the page and starts another.
    pub fn new_page(&mut self) {
        let page = std::mem::take(&mut self.current);
        self.pages.push(page);
    }

    /// The finished file.
    pub fn finish(mut self) -> Vec<u8> {
        if !self.current.is_empty() || self.pages.is_empty() {
            self.new_page();
        }
        let mut objects: Vec<Vec<u8>> = Vec::new();
        let n = self.pages.len();
        // 1 catalog, 2 pages, 3–5 fonts, then a page and its content for each page.
        let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 6 + 2 * i)).collect();
        objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
        objects
            .push(format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")).into_bytes());
        for base in ["Helvetica", "Helvetica-Bold", "Courier"] {
            objects.push(
                format!(
                    "<< /Type /Font /Subtype /Type1 /BaseFont /{base} /Encoding /WinAnsiEncoding >>"
                )
                .into_bytes(),
            );
        }
        for (i, content) in self.pages.iter().enumerate() {
            objects.push(
                format!(
                    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] \
                     /Resources << /Font << /F1 3 0 R /F2 4 0 R /F3 5 0 R >> >> /Contents {} 0 R >>",
                    7 + 2 * i
                )
                .into_bytes(),
            );
            let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
            stream.extend_from_slice(content);
            stream.extend_from_slice(b"endstream");
            objects.push(stream);
        }
        let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
        let mut offsets = Vec::with_capacity(objects.len());
        for (i, body) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        let xref = out.len();
        out.extend_from_slice(
            format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
        );
        for o in offsets {
            out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!(
                "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
                objects.len() + 1
            )
            .as_bytes(),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped_and_winansi_encoded() {
        assert_eq!(literal("a (b) \\ c"), "(a \\(b\\) \\\\ c)");
        assert_eq!(literal("5 €"), "(5 \\200)");
        assert_eq!(literal("café"), "(caf\\351)");
        assert_eq!(literal("日本"), "(??)");
        assert_eq!(literal("a → b"), "(a -> b)");
    }

    fn find(hay: &[u8], needle: &[u8]) -> usize {
        hay.windows(needle.len()).position(|w| w == needle).unwrap()
    }

    #[test]
    fn the_cross_reference_table_points_at_each_object() {
        let mut d = Doc::new();
        d.text(50.0, 800.0, 12.0, Font::Bold, "Invoice OC-2026-000001");
        d.new_page();
        d.text_right(545.0, 700.0, 10.0, "$19.00");
        let pdf = d.finish();
        assert!(pdf.starts_with(b"%PDF-1.4"));
        find(&pdf, b"/Count 2");
        find(&pdf, b"(Invoice OC-2026-000001) Tj");
        let xref = find(&pdf, b"xref\n");
        let table = String::from_utf8(pdf[xref..].to_vec()).unwrap();
        for (i, line) in table.lines().skip(3).take(9).enumerate() {
            let off: usize = line[..10].parse().unwrap();
            assert!(
                pdf[off..].starts_with(format!("{} 0 obj", i + 1).as_bytes()),
                "object {}",
                i + 1
            );
        }
        let start: usize = table
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(start, xref);
    }
}
