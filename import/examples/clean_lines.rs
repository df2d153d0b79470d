//! Prints the cleaned lines of a text document (debugging aid).
fn main() {
    let path = std::env::args().nth(1).expect("file");
    let bytes = std::fs::read(path).expect("read");
    let text = duban_import::decode::decode_text(&bytes).expect("decode");
    for l in duban_import::clean::clean(&text).lines {
        println!("{l}");
    }
}
