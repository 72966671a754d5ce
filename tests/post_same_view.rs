//! The same tweet in native and Activity Streams yields the same view: the 25 tweets of
//! `twitterdev-tweet_parser` exist in both renderings.

use std::fmt::Write as _;

use powertrack::post::{Format, Kind, Parser, Post, Role};

use crate::common::corpus_file;

/// Everything the view exposes that both formats carry, as text (Activity Streams has no
/// `in_reply_to_user_id`, so it is left out, and a nested activity has no `is_quote_status`).
pub(crate) fn summary(post: &Post<'_>) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "id {} kind {:?} bucket {}",
        post.id(),
        post.kind(),
        post.sample_bucket()
    );
    let _ = writeln!(s, "lang {:?} source {:?}", post.lang(), post.source());
    let _ = writeln!(s, "place {:?}", post.place());
    let _ = writeln!(
        s,
        "coordinates {:?} nullcast {}",
        post.coordinates(),
        post.is_nullcast()
    );
    let _ = writeln!(s, "matching_rules {}", post.has_matching_rules());
    for part in post.parts() {
        // A nested AS activity does not say whether it quotes something in turn.
        let quote = part.role() == Role::Root && part.is_quote_status();
        let _ = writeln!(s, "part {:?} id {} quote {quote}", part.role(), part.id());
        if part.role() == Role::Root && post.kind() == Kind::Retweet {
            // The truncated `RT @user: …` bodies are cut at different places by the two
            // renderings; the full text is the retweeted part's.
            let _ = writeln!(
                s,
                "  text {:?}…",
                part.text().chars().take(100).collect::<String>()
            );
        } else {
            let _ = writeln!(s, "  text {:?}", part.text());
        }
        let _ = writeln!(s, "  hashtags {:?}", part.hashtags().collect::<Vec<_>>());
        let _ = writeln!(s, "  cashtags {:?}", part.cashtags().collect::<Vec<_>>());
        let _ = writeln!(s, "  mentions {:?}", part.mentions().collect::<Vec<_>>());
        for url in part.urls() {
            let _ = writeln!(s, "  url {url:?}");
        }
        let _ = writeln!(s, "  media {:?}", part.media().collect::<Vec<_>>());
        let _ = writeln!(
            s,
            "  reply {:?} {:?}",
            part.in_reply_to_status_id(),
            part.in_reply_to_screen_name()
        );
        let u = part.author();
        let _ = writeln!(
            s,
            "  author {:?} {:?} {:?} {:?} {:?} {} {:?} {:?} {:?} {:?} {:?}",
            u.id(),
            u.screen_name(),
            u.name(),
            u.description(),
            u.location(),
            u.verified(),
            u.statuses_count(),
            u.followers_count(),
            u.friends_count(),
            u.listed_count(),
            u.profile_geo().collect::<Vec<_>>()
        );
    }
    s
}

#[test]
fn native_and_activity_streams_agree() {
    let name = "native_and_activity_streams_agree";
    let (Some(native), Some(activity)) = (
        corpus_file(
            name,
            "twitterdev-tweet_parser/original_format_examples.json",
        ),
        corpus_file(
            name,
            "twitterdev-tweet_parser/activity_streams_examples.json",
        ),
    ) else {
        return;
    };
    let native = std::fs::read(native).unwrap();
    let activity = std::fs::read(activity).unwrap();
    let native: Vec<&[u8]> = native
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let activity: Vec<&[u8]> = activity
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!((native.len(), activity.len()), (25, 25));
    let (mut pn, mut pa) = (Parser::new(), Parser::new());
    let mut parts = 0;
    for (n, a) in native.iter().zip(&activity) {
        let sn = crate::post::with_post(&mut pn, n, |p| {
            assert_eq!(p.format(), Format::Native);
            parts += p.parts().len();
            summary(p)
        });
        let sa = crate::post::with_post(&mut pa, a, |p| {
            assert_eq!(p.format(), Format::ActivityStreams);
            summary(p)
        });
        let diff: Vec<(&str, &str)> = sn.lines().zip(sa.lines()).filter(|(x, y)| x != y).collect();
        assert!(
            diff.is_empty() && sn.lines().count() == sa.lines().count(),
            "{diff:#?}\n{sn}\n{sa}"
        );
    }
    // The set has retweets and quotes (one a quote of a quote): more parts than posts.
    assert!(parts > 25 + 10, "{parts}");
}
