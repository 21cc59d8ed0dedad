//! Finds the hashes that occur more than once among a suite's case ids, in bounded memory.
//!
//! A suite of ten million cases has ten million ids; holding even a 64-bit hash of each costs
//! 80 MB. So hashes are kept in memory up to [`CHUNK`] at a time; past that, each full chunk
//! is sorted and written to an unnamed temporary file, and the sorted runs are merged at the
//! end, reading a small buffer of each.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::os::unix::fs::FileExt;

/// Hashes held in memory before a sorted run is spilled: 8 MiB.
const CHUNK: usize = 1 << 20;

/// Collects hashes, then tells which occur more than once.
#[derive(Debug, Default)]
pub(crate) struct IdHashes {
    chunk: Vec<u64>,
    /// The spilled runs: one file, each run's length in hashes, in order.
    spilled: Option<(File, Vec<usize>)>,
    count: u64,
}

impl IdHashes {
    /// How many hashes were pushed.
    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    /// Adds one hash.
    ///
    /// # Errors
    /// The temporary file cannot be created or written.
    pub(crate) fn push(&mut self, hash: u64) -> io::Result<()> {
        self.count += 1;
        self.chunk.push(hash);
        if self.chunk.len() >= CHUNK {
            self.spill()?;
        }
        Ok(())
    }

    fn spill(&mut self) -> io::Result<()> {
        self.chunk.sort_unstable();
        let (file, runs) = match &mut self.spilled {
            Some(spilled) => spilled,
            None => self.spilled.insert((tempfile::tempfile()?, Vec::new())),
        };
        let mut out = BufWriter::new(&*file);
        for hash in &self.chunk {
            out.write_all(&hash.to_le_bytes())?;
        }
        out.flush()?;
        runs.push(self.chunk.len());
        self.chunk.clear();
        Ok(())
    }

    /// The hashes pushed more than once.
    ///
    /// # Errors
    /// A spilled run cannot be read back.
    pub(crate) fn repeated(mut self) -> io::Result<HashSet<u64>> {
        if self.spilled.is_none() {
            self.chunk.sort_unstable();
            return Ok(repeats(self.chunk.into_iter()));
        }
        // Spill the last partial chunk too, so every run is read the same way.
        if !self.chunk.is_empty() {
            self.spill()?;
        }
        let (file, runs) = self.spilled.take().expect("spilled before");
        merge(file, &runs)
    }
}

/// The values that occur more than once in a sorted sequence.
fn repeats(sorted: impl Iterator<Item = u64>) -> HashSet<u64> {
    let mut repeated = HashSet::new();
    let mut previous = None;
    for hash in sorted {
        if previous == Some(hash) {
            repeated.insert(hash);
        }
        previous = Some(hash);
    }
    repeated
}

/// Merges the sorted runs of `file` (their lengths in `runs`) and returns the repeats.
fn merge(file: File, runs: &[usize]) -> io::Result<HashSet<u64>> {
    let mut readers = Vec::with_capacity(runs.len());
    let mut start = 0u64;
    for &len in runs {
        let end = start + len as u64 * 8;
        readers.push(RunReader::new(start, end));
        start = end;
    }
    let mut heap = BinaryHeap::with_capacity(readers.len());
    for (index, reader) in readers.iter_mut().enumerate() {
        if let Some(hash) = reader.next(&file)? {
            heap.push(Reverse((hash, index)));
        }
    }
    let mut repeated = HashSet::new();
    let mut previous = None;
    while let Some(Reverse((hash, index))) = heap.pop() {
        if previous == Some(hash) {
            repeated.insert(hash);
        }
        previous = Some(hash);
        if let Some(next) = readers[index].next(&file)? {
            heap.push(Reverse((next, index)));
        }
    }
    Ok(repeated)
}

/// Reads one sorted run back, a buffer at a time, with positional reads (the runs share one
/// file, so no reader may move another's offset).
struct RunReader {
    buffer: Vec<u8>,
    used: usize,
    next_offset: u64,
    end: u64,
}

impl RunReader {
    /// Bytes read at a time from each run.
    const BUFFER: usize = 64 * 1024;

    fn new(start: u64, end: u64) -> Self {
        Self {
            buffer: Vec::new(),
            used: 0,
            next_offset: start,
            end,
        }
    }

    fn next(&mut self, file: &File) -> io::Result<Option<u64>> {
        if self.used == self.buffer.len() {
            let left = (self.end - self.next_offset) as usize;
            if left == 0 {
                return Ok(None);
            }
            self.buffer.resize(left.min(Self::BUFFER), 0);
            file.read_exact_at(&mut self.buffer, self.next_offset)?;
            self.next_offset += self.buffer.len() as u64;
            self.used = 0;
        }
        let bytes: [u8; 8] = self.buffer[self.used..self.used + 8]
            .try_into()
            .expect("runs hold whole hashes");
        self.used += 8;
        Ok(Some(u64::from_le_bytes(bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_repeats_within_memory_and_across_spilled_runs() {
        for total in [10u64, CHUNK as u64 * 3 + 7] {
            let mut hashes = IdHashes::default();
            for i in 0..total {
                // Spread the values so repeats land in different runs.
                hashes.push(i.wrapping_mul(0x9E37_79B9_7F4A_7C15)).unwrap();
            }
            hashes
                .push(5u64.wrapping_mul(0x9E37_79B9_7F4A_7C15))
                .unwrap();
            hashes
                .push((total - 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
                .unwrap();
            assert_eq!(hashes.count(), total + 2);
            let repeated = hashes.repeated().unwrap();
            let expected: HashSet<u64> = [5, total - 1]
                .into_iter()
                .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
                .collect();
            assert_eq!(repeated, expected, "{total} hashes");
        }
    }

    #[test]
    fn no_repeats_gives_an_empty_set() {
        let mut hashes = IdHashes::default();
        for i in 0..(CHUNK as u64 + 1) {
            hashes.push(i).unwrap();
        }
        assert!(hashes.repeated().unwrap().is_empty());
    }
}
