//! Device-side strategy checks of an offered plan (protocol.md §2.2 S2): battery, signal,
//! space and "is this actually an upgrade". Pure functions over what the job measured.

use crate::error::Rejection;
use crate::event::{Check, CheckName, CheckValue, PlanOffer};
use crate::quecthing::PlanEntry;

/// What the device measured (or the caller stated).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Measured {
    pub(crate) battery_percent: Option<u8>,
    pub(crate) signal_dbm: Option<i32>,
    pub(crate) free_space: Option<u64>,
}

/// Builds the plan card with every check evaluated.
pub(crate) fn evaluate(plan: &PlanEntry, current_version: Option<&str>, m: Measured) -> PlanOffer {
    let mut checks = Vec::new();
    if plan.min_battery > 0 {
        checks.push(Check {
            name: CheckName::Battery,
            required: CheckValue::Percent(plan.min_battery),
            actual: m.battery_percent.map(|b| CheckValue::Percent(b.into())),
            // Unknown battery (no AT+CBC on a mains-powered board) does not block the plan.
            passed: m
                .battery_percent
                .is_none_or(|b| u32::from(b) >= plan.min_battery),
        });
    }
    if plan.min_signal_dbm != 0 {
        checks.push(Check {
            name: CheckName::Signal,
            required: CheckValue::Dbm(plan.min_signal_dbm),
            actual: m.signal_dbm.map(|s| CheckValue::Dbm(s.into())),
            passed: m
                .signal_dbm
                .is_none_or(|s| i64::from(s) >= plan.min_signal_dbm),
        });
    }
    if let Some(free) = m.free_space {
        checks.push(Check {
            name: CheckName::Space,
            required: CheckValue::Bytes(plan.space),
            actual: Some(CheckValue::Bytes(free)),
            passed: free >= plan.space,
        });
    }
    if let Some(current) = current_version {
        checks.push(Check {
            name: CheckName::Version,
            required: CheckValue::Version(plan.target_version.clone()),
            actual: Some(CheckValue::Version(current.to_owned())),
            passed: current != plan.target_version,
        });
    }
    PlanOffer {
        component: plan.component.clone(),
        from_version: plan.source_version.clone(),
        to_version: plan.target_version.clone(),
        size: plan.space,
        checks,
    }
}

/// The checks the plan fails, or `None` when it passes.
pub(crate) fn failure(offer: &PlanOffer) -> Option<Rejection> {
    let failed: Vec<Check> = offer.checks.iter().filter(|c| !c.passed).cloned().collect();
    (!failed.is_empty()).then_some(Rejection::FailedChecks(failed))
}
