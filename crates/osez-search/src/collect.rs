//! A tantivy collector that keeps every match with its score: the engine
//! ranks and filters them itself.

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

/// Collects every matching document with its score, as (ord, score).
pub(crate) struct ScoreAll;

pub(crate) struct ScoreAllSegment {
    ord: Column<u64>,
    out: Vec<(u32, Score)>,
}

impl Collector for ScoreAll {
    type Fruit = Vec<(u32, Score)>;
    type Child = ScoreAllSegment;

    fn for_segment(&self, _: SegmentOrdinal, segment: &SegmentReader) -> tantivy::Result<ScoreAllSegment> {
        Ok(ScoreAllSegment { ord: segment.fast_fields().u64("ord")?, out: Vec::new() })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(u32, Score)>>) -> tantivy::Result<Self::Fruit> {
        Ok(fruits.concat())
    }
}

impl SegmentCollector for ScoreAllSegment {
    type Fruit = Vec<(u32, Score)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        if let Some(ord) = self.ord.first(doc) {
            self.out.push((ord as u32, score));
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.out
    }
}
