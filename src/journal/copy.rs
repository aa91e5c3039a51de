//! Reading `COPY ... TO STDOUT (FORMAT binary)`: the fastest way out of PostgreSQL for a
//! catch-up of millions of records (no per-row statement, no text escaping to undo: fields are
//! length-prefixed bytes). The server sends each row in a message of its own, so rows are read
//! straight from the message when it holds them whole; only a row split across messages is
//! copied.

use anyhow::{anyhow, bail, Result};

/// The signature every binary COPY starts with.
const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";

/// Turns the chunks of a binary COPY into rows of `N` fields.
pub struct Parser<const N: usize> {
    buffer: Vec<u8>,
    /// Where the next unread byte of `buffer` is.
    at: usize,
    header_read: bool,
    /// The trailer has been read: the COPY is complete.
    pub finished: bool,
}

/// One row: each field's bytes, `None` for NULL.
pub type Fields<'a, const N: usize> = [Option<&'a [u8]>; N];

impl<const N: usize> Default for Parser<N> {
    fn default() -> Self {
        Parser {
            buffer: Vec::new(),
            at: 0,
            header_read: false,
            finished: false,
        }
    }
}

impl<const N: usize> Parser<N> {
    /// Add the next chunk of COPY data (after the rows of the previous one were read).
    pub fn push(&mut self, chunk: &[u8]) {
        if self.at == self.buffer.len() {
            self.buffer.clear();
            self.at = 0;
        } else if self.at > 0 {
            self.buffer.drain(..self.at);
            self.at = 0;
        }
        self.buffer.extend_from_slice(chunk);
    }

    /// The next complete row, if the data so far holds one.
    pub fn next(&mut self) -> Result<Option<Fields<'_, N>>> {
        if !self.header_read {
            let Some(len) = self.header_len()? else {
                return Ok(None);
            };
            self.at += len;
            self.header_read = true;
        }
        let Some((fields, end)) = self.row_at(self.at)? else {
            return Ok(None);
        };
        let start = self.at;
        self.at = end;
        Ok(fields.map(|spans| spans.map(|s| s.map(|(a, b)| &self.buffer[start + a..start + b]))))
    }

    /// The header's length once it is all here.
    fn header_len(&self) -> Result<Option<usize>> {
        let data = &self.buffer[self.at..];
        if data.len() < SIGNATURE.len() + 8 {
            return Ok(None);
        }
        if !data.starts_with(SIGNATURE) {
            bail!("the server's COPY data is not in binary format");
        }
        let extension = u32::from_be_bytes(data[15..19].try_into().unwrap()) as usize;
        Ok((data.len() >= 19 + extension).then_some(19 + extension))
    }

    /// The row starting at `at`: each field's span relative to `at`, and where the row ends;
    /// `Some((None, end))` for the trailer. `None` while incomplete.
    #[allow(clippy::type_complexity)]
    fn row_at(
        &mut self,
        at: usize,
    ) -> Result<Option<(Option<[Option<(usize, usize)>; N]>, usize)>> {
        let data = &self.buffer[at..];
        let Some(count) = data.get(..2) else {
            return Ok(None);
        };
        let count = i16::from_be_bytes([count[0], count[1]]);
        if count == -1 {
            self.finished = true;
            return Ok(Some((None, at + 2)));
        }
        if count as usize != N {
            return Err(anyhow!("a COPY row has {count} fields, not {N}"));
        }
        let mut spans = [None; N];
        let mut pos = 2;
        for span in &mut spans {
            let Some(len) = data.get(pos..pos + 4) else {
                return Ok(None);
            };
            let len = i32::from_be_bytes(len.try_into().unwrap());
            pos += 4;
            if len < 0 {
                continue;
            }
            let end = pos + len as usize;
            if data.len() < end {
                return Ok(None);
            }
            *span = Some((pos, end));
            pos = end;
        }
        Ok(Some((Some(spans), at + pos)))
    }
}

/// A bigint field.
pub fn int8(field: Option<&[u8]>) -> Option<i64> {
    Some(i64::from_be_bytes(field?.try_into().ok()?))
}

/// An integer field.
pub fn int4(field: Option<&[u8]>) -> Option<i32> {
    Some(i32::from_be_bytes(field?.try_into().ok()?))
}

/// A text field (the client encoding is UTF-8).
pub fn text(field: Option<&[u8]>) -> Result<Option<&str>> {
    field
        .map(|bytes| std::str::from_utf8(bytes).map_err(|_| anyhow!("a COPY field is not UTF-8")))
        .transpose()
}

/// A one-dimensional text[] field without NULL elements (the journal writes none): its
/// elements, or `None` for a NULL field. Binary arrays are a header (dimensions, a NULL flag,
/// the element type, each dimension's length and lower bound), then each element
/// length-prefixed as a field is.
pub fn text_array(field: Option<&[u8]>) -> Result<Option<Vec<&str>>> {
    let Some(data) = field else {
        return Ok(None);
    };
    let word = |at: usize| -> Result<i32> {
        let bytes = data
            .get(at..at + 4)
            .ok_or_else(|| anyhow!("a COPY array is cut short"))?;
        Ok(i32::from_be_bytes(bytes.try_into().unwrap()))
    };
    let dimensions = word(0)?;
    if dimensions == 0 {
        return Ok(Some(Vec::new()));
    }
    if dimensions != 1 {
        bail!("a COPY array has {dimensions} dimensions, not 1");
    }
    let length = usize::try_from(word(12)?)?;
    let mut items = Vec::with_capacity(length);
    let mut at = 20;
    for _ in 0..length {
        let len = usize::try_from(word(at)?).map_err(|_| anyhow!("a COPY array holds a NULL"))?;
        at += 4;
        let end = at + len;
        let bytes = data
            .get(at..end)
            .ok_or_else(|| anyhow!("a COPY array is cut short"))?;
        items.push(text(Some(bytes))?.unwrap_or_default());
        at = end;
    }
    Ok(Some(items))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fields (or array elements) as binary COPY writes them: each length-prefixed, -1 for NULL.
    fn prefixed(out: &mut Vec<u8>, fields: &[Option<&[u8]>]) {
        for field in fields {
            match field {
                None => out.extend((-1i32).to_be_bytes()),
                Some(bytes) => {
                    out.extend((bytes.len() as i32).to_be_bytes());
                    out.extend(*bytes);
                }
            }
        }
    }

    fn row(fields: &[Option<&[u8]>]) -> Vec<u8> {
        let mut out = (fields.len() as i16).to_be_bytes().to_vec();
        prefixed(&mut out, fields);
        out
    }

    #[test]
    fn rows_split_anywhere_are_read_whole() {
        let mut data = SIGNATURE.to_vec();
        data.extend([0, 0, 0, 0, 0, 0, 0, 0]);
        data.extend(row(&[Some(&7i64.to_be_bytes()), Some(b"chan")]));
        data.extend(row(&[Some(&8i64.to_be_bytes()), None]));
        data.extend((-1i16).to_be_bytes());
        for size in [1, 3, 7, data.len()] {
            let mut parser = Parser::<2>::default();
            let mut seen = Vec::new();
            for chunk in data.chunks(size) {
                parser.push(chunk);
                while let Some(fields) = parser.next().unwrap() {
                    seen.push((
                        int8(fields[0]),
                        text(fields[1]).unwrap().map(str::to_string),
                    ));
                }
            }
            assert!(parser.finished, "chunks of {size}");
            assert_eq!(
                seen,
                [(Some(7), Some("chan".to_string())), (Some(8), None)],
                "chunks of {size}"
            );
        }
    }

    #[test]
    fn text_arrays_read_element_by_element() {
        let array = |items: &[Option<&[u8]>]| {
            let mut array = Vec::new();
            for word in [1i32, 0, 25, items.len() as i32, 1] {
                array.extend(word.to_be_bytes());
            }
            prefixed(&mut array, items);
            array
        };
        let good = array(&[Some(b"a"), Some(b""), Some("ü".as_bytes())]);
        assert_eq!(text_array(Some(&good)).unwrap(), Some(vec!["a", "", "ü"]));
        assert_eq!(text_array(None).unwrap(), None);
        assert!(text_array(Some(&good[..good.len() - 1])).is_err());
        assert!(text_array(Some(&array(&[Some(b"a"), None]))).is_err());
        assert_eq!(text_array(Some(&[0; 12])).unwrap(), Some(vec![]));
    }

    #[test]
    fn text_format_is_refused() {
        let mut parser = Parser::<1>::default();
        parser.push(b"1\tchan\n and more bytes than a header");
        assert!(parser.next().is_err());
    }
}
