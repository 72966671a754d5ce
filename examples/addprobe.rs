use powertrack::api::RuleEntry;
use powertrack::generate::rules::RuleSetGenerator;
use powertrack::live::{Config, LiveRules};
fn main() {
    let n: usize = std::env::args().nth(1).unwrap().parse().unwrap();
    let entries: Vec<RuleEntry> = RuleSetGenerator::new(1).count(n + 1000).map(|g| { let (_, t, v) = g.into_parts(); RuleEntry::new(v, t.as_deref()) }).collect();
    let live = LiveRules::with_config(Config::default().rule_limit(n * 2));
    live.add(&entries[..n]).unwrap();
    let old: Vec<u64> = live.list().rules.iter().step_by(7).filter_map(|r| r.id).take(1000).collect();
    let mut ts = Vec::new();
    let mut ds = Vec::new();
    for (e, o) in entries[n..].iter().zip(old) {
        let t = std::time::Instant::now();
        live.add(std::slice::from_ref(e)).unwrap();
        ts.push(t.elapsed().as_micros());
        std::thread::sleep(std::time::Duration::from_micros(2500));
        let t = std::time::Instant::now();
        live.delete_ids(&[o]);
        ds.push(t.elapsed().as_micros());
        std::thread::sleep(std::time::Duration::from_micros(2500));
    }
    ts.sort(); ds.sort();
    let s = live.stats();
    println!("n={n} add p50 {} p99 {} max {} | delete p50 {} p99 {} | deltas {} compactions {} lock {:?}", ts[500], ts[990], ts[999], ds[500], ds[990], s.deltas, s.compactions, s.longest_compaction_lock);
}
