//! Bytes to text, detecting the encodings Chinese files arrive in.

use encoding_rs::{Encoding, GB18030, UTF_8};

/// Why a file cannot be read as text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the file is neither UTF-8, UTF-16 with a byte-order mark, nor GB18030/GBK")]
    UnknownEncoding,
}

/// Decodes `bytes`: a byte-order mark decides (UTF-8, UTF-16LE/BE); without one, valid UTF-8
/// is UTF-8 and anything else must be valid GB18030 (which covers GBK and GB2312). Returns the
/// text, without BOM, and the encoding's name.
pub fn decode(bytes: &[u8]) -> Result<(String, &'static str), DecodeError> {
    if let Some((encoding, bom_length)) = Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom_length..]);
        if had_errors {
            return Err(DecodeError::UnknownEncoding);
        }
        return Ok((text.into_owned(), encoding.name()));
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok((text.to_owned(), UTF_8.name()));
    }
    let (text, had_errors) = GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(DecodeError::UnknownEncoding);
    }
    Ok((text.into_owned(), GB18030.name()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_encoding() {
        let text = "关键词,风险类别\r\n法轮功,A.1.a\r\n";
        assert_eq!(decode(text.as_bytes()).unwrap(), (text.to_owned(), "UTF-8"));
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        assert_eq!(decode(&with_bom).unwrap(), (text.to_owned(), "UTF-8"));
        let (gbk, _, _) = encoding_rs::GBK.encode(text);
        assert_eq!(decode(&gbk).unwrap(), (text.to_owned(), "gb18030"));
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in text.encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        assert_eq!(decode(&utf16).unwrap(), (text.to_owned(), "UTF-16LE"));
    }

    #[test]
    fn refuses_what_no_encoding_reads() {
        assert_eq!(
            decode(&[0x81, 0x20, 0xFF]).unwrap_err(),
            DecodeError::UnknownEncoding
        );
    }
}
