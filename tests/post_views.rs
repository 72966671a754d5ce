//! Hand-checked views of chosen edge tweets. Every expected value below was read off the JSON
//! by hand (or written into the hand-made fixtures of `tests/data/post/`), not copied from the
//! parser's output.

use powertrack::post::{
    BoundingBox, Format, Kind, MediaKind, Mention, Parser, Place, Point, ProfileGeo, Role, Source,
    Url,
};

use crate::common::corpus_file;
use crate::post::with_post;

/// The line of `rel` whose post id is `id` (native `id_str` or Activity Streams `id`).
fn corpus_line(test: &str, rel: &str, id: &str) -> Option<Vec<u8>> {
    let bytes = std::fs::read(corpus_file(test, rel)?).unwrap();
    let native = format!("\"id_str\":\"{id}\"");
    let activity = format!("\"id\":\"tag:search.twitter.com,2005:{id}\"");
    let line = bytes
        .split(|&b| b == b'\n')
        .find(|l| {
            let s = String::from_utf8_lossy(l);
            // The root's id, not a nested post's: the root object's own key comes first in
            // these files only for some tweets, so check that no nested object holds it.
            s.contains(&activity) || (s.contains(&native) && root_id_str(&s) == Some(id))
        })
        .unwrap_or_else(|| panic!("{id} not in {rel}"));
    Some(line.to_vec())
}

fn root_id_str(line: &str) -> Option<&str> {
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    let id = v.get("id_str")?.as_str()?;
    // Borrow from `line` rather than `v`.
    line.find(id).map(|at| &line[at..at + id.len()])
}

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/post")
        .join(name);
    let mut bytes = std::fs::read(&path).unwrap();
    while bytes.last() == Some(&b'\n') {
        bytes.pop();
    }
    bytes
}

const TP_NATIVE: &str = "twitterdev-tweet_parser/original_format_examples.json";
const TP_AS: &str = "twitterdev-tweet_parser/activity_streams_examples.json";
const BOULDER: BoundingBox = BoundingBox {
    west: -105.301_776,
    south: 39.953_552,
    east: -105.183_597,
    north: 40.094_411,
};

#[test]
fn retweet_of_an_extended_tweet() {
    let Some(line) = corpus_line(
        "retweet_of_an_extended_tweet",
        TP_NATIVE,
        "867475059358683136",
    ) else {
        return;
    };
    with_post(&mut Parser::new(), &line, |post| {
        assert_eq!(post.kind(), Kind::Retweet);
        assert_eq!(post.id(), 867_475_059_358_683_136);
        assert_eq!(
            post.root().text(),
            "RT @RobotPrincessFi: F) Tweet with 140 characters + media. The quick brown fox jumped \
             over the lazily Tweeting dog. Lorem ipsum dolor si… "
        );
        assert_eq!(
            post.root().mentions().collect::<Vec<_>>(),
            [Mention {
                screen_name: Some("RobotPrincessFi"),
                id: Some(815_279_070_241_955_840)
            }]
        );
        assert_eq!(post.place(), None, "a retweet carries no place");
        assert_eq!(
            post.source(),
            Some(Source {
                name: Some("Twitter Web Client"),
                url: Some("http://twitter.com")
            })
        );
        let rt = post.retweeted().unwrap();
        assert_eq!(rt.role(), Role::Retweeted);
        assert_eq!(rt.id(), 867_471_562_613_575_680);
        // extended_tweet.full_text, not the truncated `text`.
        assert_eq!(
            rt.text(),
            "F) Tweet with 140 characters + media. The quick brown fox jumped over the lazily \
             Tweeting dog. Lorem ipsum dolor sit amet, consectetur adipi https://t.co/x2MZliBLyk"
        );
        // extended_tweet.extended_entities says animated_gif.
        let media: Vec<_> = rt.media().collect();
        assert_eq!(media.len(), 1);
        assert_eq!(media[0].kind, MediaKind::AnimatedGif);
        assert_eq!(media[0].url, Some("https://t.co/x2MZliBLyk"));
        assert_eq!(rt.urls().len(), 0);
        assert_eq!(rt.author().screen_name(), Some("RobotPrincessFi"));
        assert_eq!(rt.author().id(), Some(815_279_070_241_955_840));
        assert_eq!(post.quoted().map(|q| q.id()), None);
        assert_eq!(post.parts().len(), 2);
    });
}

#[test]
fn retweet_of_a_quote() {
    let rel = "combined/all_v11_native.ndjson";
    let Some(line) = corpus_line("retweet_of_a_quote", rel, "930476734348251137") else {
        return;
    };
    with_post(&mut Parser::new(), &line, |post| {
        assert_eq!(post.kind(), Kind::Retweet);
        assert_eq!(post.user().screen_name(), Some("TwitterDev"));
        assert_eq!(post.user().id(), Some(2_244_994_945));
        assert!(post.user().verified());
        assert!(post.has_matching_rules());
        assert_eq!(
            post.source(),
            Some(Source {
                name: Some("Twitter for  iPhone"),
                url: Some("http://twitter.com")
            })
        );
        let rt = post.retweeted().unwrap();
        assert_eq!(rt.id(), 930_468_527_072_362_496);
        assert_eq!(rt.author().screen_name(), Some("Shahul___Hameed"));
        assert_eq!(rt.author().id(), Some(116_995_079));
        assert!(rt.is_quote_status());
        assert_eq!(
            rt.text(),
            "Launching Twitter premium APIs: Helping developers scale on #Twitter. @TwitterDev \
             https://t.co/sYlX56PFxp"
        );
        assert_eq!(rt.hashtags().collect::<Vec<_>>(), ["Twitter"]);
        assert_eq!(
            rt.mentions().collect::<Vec<_>>(),
            [Mention {
                screen_name: Some("TwitterDev"),
                id: Some(2_244_994_945)
            }]
        );
        assert_eq!(
            rt.urls().collect::<Vec<_>>(),
            [Url {
                url: Some("https://t.co/sYlX56PFxp"),
                expanded_url: Some("https://twitter.com/TwitterAPI/status/930466151846633473"),
                display_url: Some("twitter.com/TwitterAPI/sta…"),
                ..Url::default()
            }]
        );
        let q = post.quoted().unwrap();
        assert_eq!(q.id(), 930_466_151_846_633_473);
        assert_eq!(q.author().screen_name(), Some("TwitterAPI"));
        assert_eq!(
            q.text(),
            "Today we’re launching Twitter premium APIs to kick off the next era of innovation for \
             Twitter developers. 🙌\n\nThese APIs provide a new transparent, predictable way to \
             scale solutions on Twitter. https://t.co/4qtkeiUpDY https://t.co/3FhH759Ik5"
        );
        let roles: Vec<Role> = post.parts().map(|p| p.role()).collect();
        assert_eq!(roles, [Role::Root, Role::Retweeted, Role::Quoted]);
    });
}

#[test]
fn quote_of_a_quote() {
    let Some(line) = corpus_line("quote_of_a_quote", TP_NATIVE, "867842308955226112") else {
        return;
    };
    with_post(&mut Parser::new(), &line, |post| {
        assert_eq!(post.kind(), Kind::Quote);
        assert_eq!(
            post.root().text(),
            "Going one dream deeper. 🌛 https://t.co/u4H5IILWTi"
        );
        assert_eq!(
            post.root().urls().next().unwrap().unwound_url,
            Some("https://twitter.com/RobotPrincessFi/status/867475261532459008")
        );
        assert_eq!(
            post.root().urls().next().unwrap().unwound_title,
            Some("jk no on Twitter")
        );
        let q = post.quoted().unwrap();
        assert_eq!(q.id(), 867_475_261_532_459_008);
        assert_eq!(q.text(), "Quote-ception. https://t.co/ZoePI6asDt");
        // The quoted post is itself a quote; the native payload names but does not carry the
        // post it quotes, so there is no third part.
        assert!(q.is_quote_status());
        assert!(post.part(Role::QuotedQuoted).is_none());
    });

    // v2 can carry the third level in `includes.tweets` (hand-made fixture).
    with_post(
        &mut Parser::new(),
        &fixture("v2_quote_of_quote.json"),
        |post| {
            assert_eq!(post.format(), Format::V2);
            assert_eq!(post.kind(), Kind::Quote);
            let parts: Vec<(Role, u64, &str)> =
                post.parts().map(|p| (p.role(), p.id(), p.text())).collect();
            assert_eq!(
                parts,
                [
                    (Role::Root, 300, "Third level @b https://t.co/q2"),
                    (Role::Quoted, 200, "Second level #two https://t.co/q1"),
                    (Role::QuotedQuoted, 100, "First level $ONE"),
                ]
            );
            let root = post.root();
            assert_eq!(root.in_reply_to_status_id(), Some(150));
            assert_eq!(root.in_reply_to_user_id(), Some(2));
            assert_eq!(root.in_reply_to_screen_name(), Some("b"));
            assert_eq!(
                post.quoted().unwrap().hashtags().collect::<Vec<_>>(),
                ["two"]
            );
            assert_eq!(post.quoted().unwrap().author().screen_name(), Some("b"));
            let qq = post.part(Role::QuotedQuoted).unwrap();
            assert_eq!(qq.cashtags().collect::<Vec<_>>(), ["ONE"]);
            assert_eq!(qq.author().screen_name(), Some("a"));
        },
    );
}

#[test]
fn poll() {
    let Some(line) = corpus_line("poll", TP_NATIVE, "867503895978754048") else {
        return;
    };
    with_post(&mut Parser::new(), &line, |post| {
        assert_eq!(post.kind(), Kind::Original);
        assert_eq!(
            post.root().text(),
            "I) I almost forgot to include a poll Tweet!"
        );
        // Poll options are not entities any operator reads.
        assert_eq!(post.root().hashtags().len(), 0);
        assert_eq!(post.root().urls().len(), 0);
        assert_eq!(post.root().media().len(), 0);
        assert_eq!(post.place().unwrap().full_name, Some("Las Condes, Chile"));
        assert_eq!(post.place().unwrap().id, Some("00c4b64e7affea25"));
        assert_eq!(post.place().unwrap().country_code, Some("CL"));
    });
}

#[test]
fn place() {
    let Some(line) = corpus_line("place", TP_NATIVE, "887450119146270723") else {
        return;
    };
    with_post(&mut Parser::new(), &line, |post| {
        assert_eq!(
            post.root().text(),
            "N) A Tweet tagged with a Twitter place. https://t.co/rspQ5CZUfX"
        );
        assert_eq!(post.coordinates(), None);
        assert_eq!(
            post.place(),
            Some(Place {
                id: Some("fd70c22040963ac7"),
                name: Some("Boulder"),
                full_name: Some("Boulder, CO"),
                country_code: Some("US"),
                bounding_box: Some(BOULDER),
            })
        );
    });
}

#[test]
fn coordinates() {
    let Some(line) = corpus_line("coordinates", TP_NATIVE, "887453193294282752") else {
        return;
    };
    let mut parser = Parser::new();
    with_post(&mut parser, &line, |post| {
        assert_eq!(
            post.root().text(),
            "N) A Tweet with explicit geo coordinates https://t.co/XkcFAgHhsj"
        );
        assert_eq!(
            post.coordinates(),
            Some(Point {
                lon: -105.277_868_86,
                lat: 40.017_365_48
            })
        );
        assert_eq!(post.place().unwrap().bounding_box, Some(BOULDER));
        // matching-semantics S27: extended_entities says animated_gif where entities says photo.
        let kinds: Vec<MediaKind> = post.root().media().map(|m| m.kind).collect();
        assert_eq!(kinds, [MediaKind::AnimatedGif]);
        let user = post.user();
        assert_eq!(user.name(), Some("jk no"));
        assert_eq!(user.location(), None);
        assert_eq!(
            user.description(),
            Some(
                "Niche millennial content aggregator | Just messing with Twitter bots | github: https://github.com/fionapigott/fiona-bot"
            )
        );
        assert_eq!(
            (
                user.statuses_count(),
                user.followers_count(),
                user.friends_count(),
                user.listed_count()
            ),
            (Some(68), Some(1), Some(2), Some(7))
        );
        assert!(!user.verified());
        assert_eq!(post.lang(), Some("en"));
        assert_eq!(
            post.source(),
            Some(Source {
                name: Some("Twitter for iPhone"),
                url: Some("http://twitter.com/download/iphone")
            })
        );
    });
}

#[test]
fn zwj_emoji() {
    let Some(line) = corpus_line("zwj_emoji", TP_NATIVE, "867479301360205824") else {
        return;
    };
    with_post(&mut Parser::new(), &line, |post| {
        assert_eq!(post.kind(), Kind::Quote);
        // extended_tweet.full_text, emoji sequences intact (ZWJ U+200D, VS16 U+FE0F).
        assert_eq!(
            post.root().text(),
            "Try using \"xxd\" on this 🙃:\n(Notice the \"joiner\" characters)\n\
             👮\u{200d}♀\u{fe0f}👩\u{200d}🚒👩\u{200d}🔧👩\u{200d}🏭👷\u{200d}♀\u{fe0f}👨\u{200d}🚒👨\u{200d}🌾👨\u{200d}🍳👨\u{200d}🎤👩\u{200d}🎨👨\u{200d}💼👩\u{200d}🎓👨\u{200d}🏫👨\u{200d}🎨👩\u{200d}💻👩\u{200d}🔬👨\u{200d}🚀👩\u{200d}⚕\u{fe0f}👨\u{200d}✈\u{fe0f}👨\u{200d}⚖\u{fe0f}🕵\u{fe0f}\n \
             🧙\u{200d}♂\u{fe0f}\u{a0}Magic! https://t.co/5PU0FLFRYz"
        );
        assert_eq!(
            post.root().urls().next().unwrap().expanded_url,
            Some("https://twitter.com/notFromShrek/status/861652051016663040")
        );
        assert_eq!(post.quoted().unwrap().id(), 861_652_051_016_663_040);
    });
}

#[test]
fn v2_with_includes() {
    let rel = "twarc-csv-v2/twarc-csv_v2_stream_like.ndjson";
    let Some(path) = corpus_file("v2_with_includes", rel) else {
        return;
    };
    let bytes = std::fs::read(path).unwrap();
    // The first line: read by hand.
    let line = bytes.split(|&b| b == b'\n').next().unwrap();
    let v: serde_json::Value = serde_json::from_slice(line).unwrap();
    with_post(&mut Parser::new(), line, |post| {
        assert_eq!(post.format(), Format::V2);
        assert_eq!(post.id().to_string(), v["data"]["id"].as_str().unwrap());
        assert_eq!(post.root().text(), v["data"]["text"].as_str().unwrap());
        assert_eq!(
            post.user().id().map(|i| i.to_string()).as_deref(),
            v["data"]["author_id"].as_str()
        );
    });

    // The hand-made long post: note_tweet, includes users / places / media, matching_rules.
    with_post(&mut Parser::new(), &fixture("v2_note_tweet.json"), |post| {
        assert_eq!(post.format(), Format::V2);
        assert_eq!(post.kind(), Kind::Original);
        assert_eq!(post.id(), 1_610_000_000_000_000_001);
        let root = post.root();
        assert!(
            root.text()
                .starts_with("A long post that the API cuts short in text")
        );
        assert!(root.text().ends_with("far beyond the cut. Café ☃️ done."));
        // note_tweet.entities, not the truncated entities.
        assert_eq!(root.hashtags().collect::<Vec<_>>(), ["snow", "blizzard"]);
        assert_eq!(root.cashtags().collect::<Vec<_>>(), ["TWTR"]);
        assert_eq!(
            root.mentions().collect::<Vec<_>>(),
            [Mention {
                screen_name: Some("noaa"),
                id: Some(141_668_047)
            }]
        );
        assert_eq!(
            root.urls().collect::<Vec<_>>(),
            [Url {
                url: Some("https://t.co/aaaa"),
                expanded_url: Some("https://example.com/storm"),
                display_url: Some("example.com/storm"),
                unwound_url: Some("https://example.com/storm/report"),
                unwound_title: Some("Storm report"),
                unwound_description: Some("Snow, lots of it"),
            }]
        );
        assert_eq!(
            root.media().map(|m| m.kind).collect::<Vec<_>>(),
            [MediaKind::Photo]
        );
        let user = post.user();
        assert_eq!(user.screen_name(), Some("TwitterDev"));
        assert_eq!(user.name(), Some("Twitter Dev"));
        assert_eq!(user.location(), Some("127.0.0.1"));
        assert!(user.verified());
        assert_eq!(
            (
                user.statuses_count(),
                user.followers_count(),
                user.friends_count(),
                user.listed_count()
            ),
            (Some(3900), Some(570_000), Some(2000), Some(1800))
        );
        assert_eq!(post.lang(), Some("en"));
        assert_eq!(
            post.source(),
            Some(Source {
                name: Some("Twitter Web App"),
                url: None
            })
        );
        assert_eq!(
            post.place(),
            Some(Place {
                id: Some("fd70c22040963ac7"),
                name: Some("Boulder"),
                full_name: Some("Boulder, CO"),
                country_code: Some("US"),
                bounding_box: Some(BOULDER),
            })
        );
        assert_eq!(
            post.coordinates(),
            Some(Point {
                lon: -105.277_868_86,
                lat: 40.017_365_48
            })
        );
        assert!(post.has_matching_rules());
    });
}

#[test]
fn activity_streams() {
    let Some(line) = corpus_line("activity_streams", TP_AS, "887453193294282752") else {
        return;
    };
    with_post(&mut Parser::new(), &line, |post| {
        assert_eq!(post.format(), Format::ActivityStreams);
        assert_eq!(post.kind(), Kind::Original);
        assert_eq!(post.id(), 887_453_193_294_282_752);
        assert_eq!(
            post.root().text(),
            "N) A Tweet with explicit geo coordinates https://t.co/XkcFAgHhsj"
        );
        // AS geo is [lat, lon]; the view is lon/lat.
        assert_eq!(
            post.coordinates(),
            Some(Point {
                lon: -105.277_868_86,
                lat: 40.017_365_48
            })
        );
        // AS location: id from the link, the code from twitter_country_code.
        assert_eq!(
            post.place(),
            Some(Place {
                id: Some("fd70c22040963ac7"),
                name: Some("Boulder"),
                full_name: Some("Boulder, CO"),
                country_code: Some("US"),
                bounding_box: Some(BOULDER),
            })
        );
        assert_eq!(
            post.root().media().map(|m| m.kind).collect::<Vec<_>>(),
            [MediaKind::AnimatedGif]
        );
        assert_eq!(post.user().id(), Some(815_279_070_241_955_840));
        assert_eq!(post.user().screen_name(), Some("RobotPrincessFi"));
        assert_eq!(post.lang(), Some("en"));
        assert_eq!(
            post.source(),
            Some(Source {
                name: Some("Twitter for iPhone"),
                url: Some("http://twitter.com/download/iphone")
            })
        );
        assert!(post.has_matching_rules());
    });

    // A retweet (verb share) and a reply (inReplyTo link).
    let Some(line) = corpus_line("activity_streams", TP_AS, "867478524235366400") else {
        return;
    };
    with_post(&mut Parser::new(), &line, |post| {
        assert_eq!(post.kind(), Kind::Retweet);
        let rt = post.retweeted().unwrap();
        assert_eq!(rt.id(), 861_651_727_614_746_624);
        assert_eq!(rt.author().screen_name(), Some("notFromShrek"));
        assert_eq!(rt.author().location(), Some("Boulder, CO"));
        assert_eq!(rt.in_reply_to_status_id(), Some(861_645_830_863_822_848));
        assert_eq!(rt.in_reply_to_screen_name(), Some("notFromShrek"));
        assert_eq!(rt.in_reply_to_user_id(), None);
        // gnip.urls unwinds the retweeted original's link.
        let url = rt.urls().next().unwrap();
        assert_eq!(url.unwound_title, Some("fionapigott/character-encoding"));
        assert_eq!(post.place(), None);
    });
}

#[test]
fn profile_geo_nullcast_and_the_same_view_across_formats() {
    let mut parser = Parser::new();
    let expected_geo = ProfileGeo {
        country_code: Some("US"),
        region: Some("California"),
        locality: Some("San Francisco"),
        sub_region: Some("San Francisco County"),
        full_name: Some("San Francisco, California, United States"),
        point: Some(Point {
            lon: -122.41942,
            lat: 37.77493,
        }),
    };
    let native = with_post(
        &mut parser,
        &fixture("native_enriched_profile_geo.json"),
        |post| {
            // id_str, not the (rounded) numeric id.
            assert_eq!(post.id(), 914_803_291_347_369_986);
            assert!(post.is_nullcast());
            assert!(post.has_matching_rules());
            assert_eq!(
                post.source(),
                Some(Source {
                    name: Some("web"),
                    url: None
                })
            );
            assert_eq!(post.root().cashtags().collect::<Vec<_>>(), ["TWTR"]);
            assert_eq!(
                post.user().profile_geo().collect::<Vec<_>>(),
                [expected_geo]
            );
            assert_eq!(post.user().location(), Some("San Francisco, CA"));
            crate::post::same_view::summary(post)
        },
    );
    let activity = with_post(
        &mut parser,
        &fixture("activity_streams_profile_locations.json"),
        |post| {
            assert!(!post.is_nullcast(), "Activity Streams has no scopes");
            assert_eq!(
                post.user().profile_geo().collect::<Vec<_>>(),
                [expected_geo]
            );
            crate::post::same_view::summary(post)
        },
    );
    assert_eq!(
        native
            .replace("nullcast true", "nullcast false")
            .replace("url: None", "url: Some(\"http://twitter.com\")"),
        activity
    );
}
