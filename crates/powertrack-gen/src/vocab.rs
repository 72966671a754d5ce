//! The embedded vocabulary derived from the real corpus (`vocab/README.md`), parsed once.

use std::collections::HashSet;
use std::sync::OnceLock;

/// Words of one post language, most frequent first.
#[derive(Debug)]
pub(crate) struct LangWords {
    pub(crate) lang: &'static str,
    pub(crate) words: Vec<&'static str>,
    pub(crate) bigrams: Vec<&'static str>,
}

/// A tagged place seen in the corpus.
#[derive(Debug)]
pub(crate) struct Place {
    pub(crate) id: &'static str,
    pub(crate) name: &'static str,
    pub(crate) full_name: &'static str,
    pub(crate) country_code: &'static str,
    pub(crate) lon: f64,
    pub(crate) lat: f64,
}

/// Profile-geo strings of one location.
#[derive(Debug)]
pub(crate) struct ProfileGeo {
    pub(crate) country_code: &'static str,
    pub(crate) region: &'static str,
    pub(crate) subregion: &'static str,
    pub(crate) locality: &'static str,
    pub(crate) lon: f64,
    pub(crate) lat: f64,
}

/// Everything the rule generator draws real terms from.
#[derive(Debug)]
pub(crate) struct Vocab {
    pub(crate) langs: Vec<LangWords>,
    pub(crate) emoji: Vec<&'static str>,
    pub(crate) hashtags: Vec<&'static str>,
    pub(crate) cashtags: Vec<&'static str>,
    /// `(screen_name, user id)`.
    pub(crate) users: Vec<(&'static str, &'static str)>,
    pub(crate) domains: Vec<&'static str>,
    pub(crate) url_words: Vec<&'static str>,
    pub(crate) sources: Vec<&'static str>,
    pub(crate) bio_words: Vec<&'static str>,
    pub(crate) name_words: Vec<&'static str>,
    pub(crate) location_words: Vec<&'static str>,
    pub(crate) status_ids: Vec<&'static str>,
    pub(crate) places: Vec<Place>,
    pub(crate) profile_geo: Vec<ProfileGeo>,
    /// Every folded term of the files above: pseudo-words must avoid these to stay dormant.
    pub(crate) known: HashSet<String>,
}

fn rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| l.split('\t').collect())
}

fn first_col(text: &'static str) -> Vec<&'static str> {
    rows(text).map(|r| r[0]).collect()
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or(0.0)
}

impl Vocab {
    /// The vocabulary, parsed on first use.
    pub(crate) fn get() -> &'static Vocab {
        static VOCAB: OnceLock<Vocab> = OnceLock::new();
        VOCAB.get_or_init(Vocab::parse)
    }

    fn parse() -> Vocab {
        let mut langs: Vec<LangWords> = Vec::new();
        for r in rows(include_str!("../../../src/compile/freq/words.tsv")) {
            match langs.iter_mut().find(|l| l.lang == r[0]) {
                Some(l) => l.words.push(r[1]),
                None => langs.push(LangWords {
                    lang: r[0],
                    words: vec![r[1]],
                    bigrams: Vec::new(),
                }),
            }
        }
        for r in rows(include_str!("vocab/bigrams.tsv")) {
            if let Some(l) = langs.iter_mut().find(|l| l.lang == r[0]) {
                l.bigrams.push(r[1]);
            }
        }
        let users = rows(include_str!("vocab/users.tsv"))
            .map(|r| (r[0], r[1]))
            .collect();
        let places = rows(include_str!("vocab/places.tsv"))
            .map(|r| Place {
                id: r[0],
                name: r[2],
                full_name: r[3],
                country_code: r[4],
                lon: num(r[6]),
                lat: num(r[7]),
            })
            .collect();
        let profile_geo = rows(include_str!("vocab/profile_geo.tsv"))
            .map(|r| ProfileGeo {
                country_code: r[0],
                region: r[1],
                subregion: r[2],
                locality: r[3],
                lon: num(r[4]),
                lat: num(r[5]),
            })
            .collect();
        let mut v = Vocab {
            langs,
            emoji: first_col(include_str!("../../../src/compile/freq/emoji.tsv")),
            hashtags: first_col(include_str!("vocab/hashtags.tsv")),
            cashtags: first_col(include_str!("vocab/cashtags.tsv")),
            users,
            domains: first_col(include_str!("../../../src/compile/freq/domains.tsv")),
            url_words: first_col(include_str!("../../../src/compile/freq/url_words.tsv")),
            sources: first_col(include_str!("vocab/sources.tsv")),
            bio_words: first_col(include_str!("../../../src/compile/freq/bio_words.tsv")),
            name_words: first_col(include_str!("../../../src/compile/freq/name_words.tsv")),
            location_words: first_col(include_str!("../../../src/compile/freq/location_words.tsv")),
            status_ids: first_col(include_str!("vocab/status_ids.tsv")),
            places,
            profile_geo,
            known: HashSet::new(),
        };
        let mut known = HashSet::new();
        for l in &v.langs {
            known.extend(l.words.iter().map(|w| w.to_lowercase()));
        }
        for list in [
            &v.emoji,
            &v.hashtags,
            &v.cashtags,
            &v.bio_words,
            &v.name_words,
            &v.location_words,
            &v.url_words,
        ] {
            known.extend(list.iter().map(|w| w.to_lowercase()));
        }
        known.extend(v.users.iter().map(|(n, _)| n.to_lowercase()));
        known.extend(v.users.iter().map(|(_, id)| (*id).to_owned()));
        v.known = known;
        v
    }

    /// The words of `lang`, or of English when the corpus has none in that language.
    pub(crate) fn lang(&self, lang: &str) -> &LangWords {
        self.langs
            .iter()
            .find(|l| l.lang == lang)
            .unwrap_or(&self.langs[0])
    }
}

#[cfg(test)]
mod tests {
    use super::Vocab;

    #[test]
    fn embedded_files_parse() {
        let v = Vocab::get();
        assert_eq!(v.langs[0].lang, "en");
        assert!(v.langs[0].words.len() >= 1000);
        assert!(!v.langs[0].bigrams.is_empty());
        for list in [
            &v.emoji,
            &v.hashtags,
            &v.cashtags,
            &v.domains,
            &v.sources,
            &v.status_ids,
        ] {
            assert!(!list.is_empty());
        }
        assert!(
            v.users
                .iter()
                .all(|(n, id)| !n.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        );
        assert!(
            v.places
                .iter()
                .all(|p| p.lon.abs() <= 180.0 && p.lat.abs() <= 90.0)
        );
        assert!(!v.profile_geo.is_empty());
        assert!(v.known.contains("pizza") || v.known.contains("🍕"));
    }
}
