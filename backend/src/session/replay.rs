//! What a terminal's replay leaves out: the questions a program asked the terminal (device
//! attributes, cursor position, version, modes, colours, window size). They were answered
//! when they were first written; written again to a browser that attaches later, its
//! terminal would answer again, and the answers would reach the shell as typed text (the
//! terminal keeper asks for device attributes each time it attaches). And what keystrokes
//! leave out: a browser's answers to those questions, which only the keeper asks.

/// Keystrokes without a terminal's answers to device attributes and version queries
/// (`ESC [ > … c`, `ESC [ ? … c`, `ESC P > | … ESC \`). With the terminal keeper, only tmux
/// asks those of the browser (it answers the shell's programs itself), and a browser that
/// answers late, or a second page watching the same terminal, would type the answer into
/// the shell.
pub fn without_answers(bytes: &[u8]) -> Option<Vec<u8>> {
    if !bytes.contains(&0x1b) {
        return None;
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let mut dropped = false;
    while i < bytes.len() {
        if bytes[i] == 0x1b {
            if let Some(end) = answer_end(&bytes[i..]) {
                i += end;
                dropped = true;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    dropped.then_some(out)
}

/// The length of the device attributes or version answer `seq` begins with, if any.
fn answer_end(seq: &[u8]) -> Option<usize> {
    match (seq.get(1)?, seq.get(2)?) {
        (b'[', b'>' | b'?') => {
            let body = &seq[3..];
            let end = body
                .iter()
                .position(|b| !(b.is_ascii_digit() || *b == b';'))?;
            (body[end] == b'c').then_some(3 + end + 1)
        }
        (b'P', b'>') if seq.get(3) == Some(&b'|') => string_end(seq).map(|(_, end)| end),
        _ => None,
    }
}

/// `bytes` without terminal queries; everything else is kept as it is.
pub fn without_queries(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0x1b {
            if let Some(end) = query_end(&bytes[i..]) {
                i += end;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// The length of the query that `seq` (starting with ESC) begins with, if it begins with one.
fn query_end(seq: &[u8]) -> Option<usize> {
    match seq.get(1)? {
        b'[' => csi_query(seq),
        b']' => osc_query(seq),
        b'P' => dcs_query(seq),
        _ => None,
    }
}

/// CSI queries: DA1, DA2, DA3 (`c`), DSR and DECXCPR (`n`), XTVERSION (`>q`), DECRQM
/// (`$p`), XTWINOPS reports (`t` 11 to 21).
fn csi_query(seq: &[u8]) -> Option<usize> {
    let body = &seq[2..];
    let end = body.iter().position(|b| (0x40..=0x7e).contains(b))?;
    let (params, fin) = (&body[..end], body[end]);
    let text = std::str::from_utf8(params).ok()?;
    let private = text.starts_with(['>', '=', '?']);
    let numbers = text
        .trim_start_matches(['>', '=', '?'])
        .trim_end_matches('$');
    let first: Option<u32> = numbers.split(';').next().and_then(|n| n.parse().ok());
    let query = match fin {
        b'c' => first.unwrap_or(0) == 0,
        b'n' => matches!(first, Some(5 | 6)),
        b'q' => text.starts_with('>'),
        b'p' => text.ends_with('$'),
        b't' => !private && first.is_some_and(|n| (11..=21).contains(&n)),
        _ => false,
    };
    query.then_some(2 + end + 1)
}

/// OSC queries: a colour or a selection asked with `?` (`ESC ] 10 ; ? BEL`).
fn osc_query(seq: &[u8]) -> Option<usize> {
    let (content, end) = string_end(seq)?;
    content.ends_with(b";?").then_some(end)
}

/// DCS queries: DECRQSS and XTGETTCAP (`ESC P $ q …`, `ESC P + q …`).
fn dcs_query(seq: &[u8]) -> Option<usize> {
    let (content, end) = string_end(seq)?;
    (content.starts_with(b"$q") || content.starts_with(b"+q")).then_some(end)
}

/// The content of an OSC or DCS string starting at `seq` and the length of the whole
/// sequence, ended by BEL or ST (`ESC \`).
fn string_end(seq: &[u8]) -> Option<(&[u8], usize)> {
    let body = &seq[2..];
    for (i, b) in body.iter().enumerate() {
        match b {
            0x07 => return Some((&body[..i], 2 + i + 1)),
            0x1b if body.get(i + 1) == Some(&b'\\') => return Some((&body[..i], 2 + i + 2)),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_to_the_terminal_are_left_out_of_a_replay() {
        let keeper_attach =
            b"\x1b[?1h\x1b=\x1b[H\x1b[2J\x1b[1;24r\x1b[>c\x1b[>q\x1b[24;15Hroot@node1:~# ";
        assert_eq!(
            without_queries(keeper_attach),
            b"\x1b[?1h\x1b=\x1b[H\x1b[2J\x1b[1;24r\x1b[24;15Hroot@node1:~# "
        );
        for query in [
            &b"\x1b[c"[..],
            b"\x1b[0c",
            b"\x1b[>0c",
            b"\x1b[=c",
            b"\x1b[6n",
            b"\x1b[?6n",
            b"\x1b[5n",
            b"\x1b[>0q",
            b"\x1b[?2004$p",
            b"\x1b[18t",
            b"\x1b]11;?\x07",
            b"\x1b]10;?\x1b\\",
            b"\x1bP$qm\x1b\\",
        ] {
            let mut text = b"a".to_vec();
            text.extend_from_slice(query);
            text.extend_from_slice(b"b");
            assert_eq!(without_queries(&text), b"ab", "{query:?}");
        }
    }

    #[test]
    fn a_browsers_answers_to_the_keeper_never_reach_the_shell() {
        assert_eq!(without_answers(b"ls\r"), None);
        assert_eq!(without_answers(b"\x1b[A"), None);
        assert_eq!(
            without_answers(b"\x1b[>0;276;0c").as_deref(),
            Some(&b""[..])
        );
        assert_eq!(
            without_answers(b"a\x1b[?1;2cb\x1bP>|xterm.js(5.3.0)\x1b\\c").as_deref(),
            Some(&b"abc"[..])
        );
        // Keys and pastes with escapes stay as they are.
        assert_eq!(without_answers(b"\x1b[200~text\x1b[201~"), None);
        assert_eq!(without_answers(b"\x1b[1;5C\x1bOA"), None);
    }

    #[test]
    fn everything_else_is_kept_as_it_is() {
        let drawing = "\x1b[1;32mgreen\x1b[0m \x1b[2J\x1b[10;5H\x1b[?25l\x1b[22;0t\x1b]0;title\x07\x1b[3q é\x1b[".as_bytes();
        assert_eq!(without_queries(drawing), drawing);
        assert_eq!(without_queries(b""), b"");
        assert_eq!(without_queries(b"\x1b"), b"\x1b");
    }
}
