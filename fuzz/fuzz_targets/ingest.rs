//! `ingest`: no bytes make the post parser panic, and every accessor of every view it returns
//! works. Seeded with real tweets (see fuzz/README.md), libFuzzer's mutations are JSON mutations
//! of real posts; the input is split into lines that one reused parser reads in turn, so buffer
//! reuse across posts of every shape is exercised too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use powertrack::post::{Line, Parser, Post};

fn touch(post: &Post<'_>) -> u64 {
    // Wrapping sums: ids are arbitrary u64s.
    let mut n = std::num::Wrapping(post.id()) + std::num::Wrapping(u64::from(post.sample_bucket()));
    let mut add = |x: usize| n += std::num::Wrapping(x as u64);
    add(post.lang().map_or(0, str::len));
    add(post.source().map_or(0, |s| s.name.map_or(0, str::len) + s.url.map_or(0, str::len)));
    if let Some(p) = post.place() {
        add(p.id.map_or(0, str::len) + p.full_name.map_or(0, str::len));
        add(usize::from(p.bounding_box.is_some()));
    }
    add(usize::from(post.coordinates().is_some()) + usize::from(post.is_nullcast()));
    add(usize::from(post.has_matching_rules()));
    let _ = post.kind();
    let _ = format!("{post:?}");
    for part in post.parts() {
        add(part.text().len());
        add(part.id() as usize);
        add(part.hashtags().map(str::len).sum::<usize>());
        add(part.cashtags().map(str::len).sum::<usize>());
        add(part.mentions().map(|m| m.screen_name.map_or(0, str::len)).sum::<usize>());
        for u in part.urls() {
            add(u.url.map_or(0, str::len) + u.expanded_url.map_or(0, str::len));
            add(u.unwound_title.map_or(0, str::len));
        }
        add(part.media().count());
        add(part.in_reply_to_screen_name().map_or(0, str::len));
        let user = part.author();
        add(user.screen_name().map_or(0, str::len) + user.description().map_or(0, str::len));
        add(user.profile_geo().map(|g| g.region.map_or(0, str::len)).sum::<usize>());
        let _ = format!("{part:?} {user:?}");
    }
    n.0
}

fuzz_target!(|data: &[u8]| {
    const MAX: usize = 64 * 1024;
    let mut parser = Parser::with_max_line_len(MAX);
    // The whole input as one line, then line by line.
    if let Ok(Line::Post(post)) = parser.parse(data) {
        std::hint::black_box(touch(&post));
    }
    for line in data.split(|&b| b == b'\n') {
        match parser.parse(line) {
            Ok(Line::Post(post)) => {
                std::hint::black_box(touch(&post));
            }
            Ok(Line::Skipped(kind)) => {
                std::hint::black_box(kind);
            }
            Err(e) => {
                assert!(e.offset() <= line.len().max(MAX));
                std::hint::black_box(e.to_string());
            }
        }
    }
});
