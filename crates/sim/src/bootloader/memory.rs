//! Flash and RAM contents with real flash semantics: erased flash reads
//! 0xFF, programming can only clear bits (the stored value is `old & new`,
//! so a forgotten erase shows up as corrupt data, exactly as on silicon),
//! and write-protected units silently keep their contents.

use super::part::Part;

/// The memories a bootloader command can address.
#[derive(Debug)]
pub(crate) struct Memory {
    part: Part,
    flash: Vec<u8>,
    ram: Vec<u8>,
    units: Vec<(u32, u32)>,
    protected: Vec<u32>,
    /// Programming operations that tried to turn a 0 bit back into 1.
    pub(crate) unerased_writes: u32,
}

/// Where an address range lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Region {
    Flash,
    Ram,
}

impl Memory {
    pub(crate) fn new(part: Part, initial: &[u8], protected: Vec<u32>) -> Self {
        let mut flash = vec![0xFF; usize::try_from(part.flash_size()).unwrap_or(0)];
        for (dst, src) in flash.iter_mut().zip(initial) {
            *dst = *src;
        }
        Self {
            part,
            ram: vec![0; usize::try_from(part.ram_size()).unwrap_or(0)],
            flash,
            units: part.erase_units(),
            protected,
            unerased_writes: 0,
        }
    }

    pub(crate) fn flash(&self) -> &[u8] {
        &self.flash
    }

    pub(crate) fn units(&self) -> usize {
        self.units.len()
    }

    /// The region holding all of `[addr, addr + len)`, if any.
    pub(crate) fn region(&self, addr: u32, len: u32) -> Option<Region> {
        let end = u64::from(addr) + u64::from(len);
        let inside =
            |base: u32, size: u32| addr >= base && end <= u64::from(base) + u64::from(size);
        if inside(self.part.flash_base(), self.part.flash_size()) {
            Some(Region::Flash)
        } else if inside(self.part.ram_base(), self.part.ram_size()) {
            Some(Region::Ram)
        } else {
            None
        }
    }

    fn span(&self, addr: u32, len: u32) -> Option<(Region, usize, usize)> {
        let region = self.region(addr, len)?;
        let base = match region {
            Region::Flash => self.part.flash_base(),
            Region::Ram => self.part.ram_base(),
        };
        let start = usize::try_from(addr - base).ok()?;
        Some((region, start, start + usize::try_from(len).ok()?))
    }

    pub(crate) fn read(&self, addr: u32, len: u32) -> Option<&[u8]> {
        let (region, start, end) = self.span(addr, len)?;
        match region {
            Region::Flash => self.flash.get(start..end),
            Region::Ram => self.ram.get(start..end),
        }
    }

    fn unit_of(&self, offset: usize) -> Option<u32> {
        let offset = u32::try_from(offset).ok()?;
        let index = self
            .units
            .iter()
            .position(|&(o, s)| offset >= o && offset - o < s)?;
        u32::try_from(index).ok()
    }

    /// Programs `data` at `addr` (flash: AND; RAM: plain store).
    pub(crate) fn write(&mut self, addr: u32, data: &[u8]) -> bool {
        let Ok(len) = u32::try_from(data.len()) else {
            return false;
        };
        let Some((region, start, _)) = self.span(addr, len) else {
            return false;
        };
        if region == Region::Ram {
            if let Some(dst) = self.ram.get_mut(start..start + data.len()) {
                dst.copy_from_slice(data);
            }
            return true;
        }
        let mut needed_erase = false;
        for (i, &byte) in data.iter().enumerate() {
            let offset = start + i;
            if self
                .unit_of(offset)
                .is_some_and(|u| self.protected.contains(&u))
            {
                continue;
            }
            if let Some(cell) = self.flash.get_mut(offset) {
                needed_erase |= *cell & byte != byte;
                *cell &= byte;
            }
        }
        if needed_erase {
            self.unerased_writes += 1;
        }
        true
    }

    /// Erases unit `index` (no-op when write-protected); `false` if it does not exist.
    pub(crate) fn erase_unit(&mut self, index: u32) -> bool {
        let Some(&(offset, size)) = usize::try_from(index).ok().and_then(|i| self.units.get(i))
        else {
            return false;
        };
        if self.protected.contains(&index) {
            return true;
        }
        let (Ok(start), Ok(size)) = (usize::try_from(offset), usize::try_from(size)) else {
            return false;
        };
        if let Some(cells) = self.flash.get_mut(start..start + size) {
            cells.fill(0xFF);
        }
        true
    }

    /// Erases every unit.
    pub(crate) fn mass_erase(&mut self) {
        for index in 0..u32::try_from(self.units.len()).unwrap_or(0) {
            self.erase_unit(index);
        }
    }

    pub(crate) fn protect(&mut self, units: &[u32]) {
        self.protected.extend_from_slice(units);
    }

    pub(crate) fn unprotect_all(&mut self) {
        self.protected.clear();
    }
}

/// The CRC of Get Checksum (0xA1): CRC-32 with polynomial 0x04C11DB7, init
/// 0xFFFF_FFFF, no reflection and no final XOR, fed 32-bit little-endian
/// words MSB first (the STM32 CRC unit; stm32flash's `stm32_sw_crc`). That
/// is CRC-32/MPEG-2 over each word's bytes in big-endian order.
pub(crate) fn stm32_crc(data: &[u8]) -> u32 {
    let crc = crc::Crc::<u32>::new(&crc::CRC_32_MPEG_2);
    let mut digest = crc.digest();
    for word in data.chunks(4) {
        let mut le = [0u8; 4];
        for (dst, src) in le.iter_mut().zip(word) {
            *dst = *src;
        }
        digest.update(&u32::from_le_bytes(le).to_be_bytes());
    }
    digest.finalize()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programming_ands_and_counts_missing_erases() {
        let mut m = Memory::new(Part::F103C8, &[], vec![1]);
        assert!(m.write(0x0800_0000, &[0x0F, 0xF0]));
        assert_eq!(m.unerased_writes, 0);
        assert!(m.write(0x0800_0000, &[0xF0, 0xF0]));
        assert_eq!(m.read(0x0800_0000, 2), Some(&[0x00, 0xF0][..]));
        assert_eq!(m.unerased_writes, 1);
        // Protected page 1 keeps its contents.
        assert!(m.write(0x0800_0400, &[0]));
        assert_eq!(m.read(0x0800_0400, 1), Some(&[0xFF][..]));
        assert!(m.erase_unit(0));
        assert_eq!(m.read(0x0800_0000, 2), Some(&[0xFF, 0xFF][..]));
        assert!(!m.erase_unit(64));
        assert_eq!(m.region(0x0800_FFFF, 2), None);
        assert_eq!(m.region(0x2000_0000, 16), Some(Region::Ram));
    }
}
