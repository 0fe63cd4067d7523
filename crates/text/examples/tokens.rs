//! Prints the index terms of each argument and the dictionary load time.
fn main() {
    let t = std::time::Instant::now();
    let r = ydx_text::search::init();
    println!("load: {:?} {:?}", t.elapsed(), r);
    for a in std::env::args().skip(1) {
        let t = std::time::Instant::now();
        let terms = ydx_text::index_terms(&a);
        println!(
            "{a}: idx={terms:?} q={:?} ({:?})",
            ydx_text::query_terms(&a),
            t.elapsed()
        );
    }
}
