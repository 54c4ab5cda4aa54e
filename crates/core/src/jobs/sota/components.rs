//! Multi-component SOTA (protocol.md §2.2, last paragraph): one component after another.
//! All pending components' versions are announced before the plan request (the module
//! only gets plans for announced MCUs); the first `10700` for any of them decides which
//! goes first; after its `10705` the next round announces and requests again. A `10700`
//! for a component that is not ours is never taken; one for a component already done
//! cannot come (its version now equals the target).

use super::Sota;
use crate::event::Event;
use crate::jobs::params::SotaComponent;
use crate::jobs::{Ctx, Flow};
use crate::quecthing::commands::SetMcuVersion;
use crate::quecthing::{OtaEvent, QiotEvent};

impl Sota {
    /// The `n`th version announcement of a plan round: the current component first, then
    /// the ones still queued.
    pub(super) fn announcement(&self, n: usize) -> Option<SetMcuVersion> {
        let (component, version) = match n.checked_sub(1) {
            None => (&self.p.component, &self.p.current_version),
            Some(i) => {
                let c = self.p.more_components.get(i)?;
                (&c.component, &c.current_version)
            }
        };
        Some(SetMcuVersion {
            component: component.clone(),
            version: version.clone(),
        })
    }

    /// A `10700` for a queued component of ours came first: it becomes the current one.
    pub(super) fn pick_offered(&mut self, line: &str, ctx: &mut Ctx<'_>) {
        let Some(QiotEvent::Ota(OtaEvent::PlanAvailable(plan))) = QiotEvent::parse(line) else {
            return;
        };
        let Some(i) = self
            .p
            .more_components
            .iter()
            .position(|c| c.component == plan.component)
        else {
            return;
        };
        let offered = self.p.more_components.remove(i);
        let current = SotaComponent {
            component: core::mem::replace(&mut self.p.component, offered.component),
            current_version: core::mem::replace(
                &mut self.p.current_version,
                offered.current_version,
            ),
            flash: core::mem::replace(&mut self.p.flash, offered.flash),
        };
        self.p.more_components.insert(0, current);
        ctx.tracker.facts.component.clone_from(&self.p.component);
        ctx.tracker
            .facts
            .from_version
            .clone_from(&self.p.current_version);
    }

    /// The current component reached `10705`: report it and start the next round.
    pub(super) fn next_component(mut self, ctx: &mut Ctx<'_>) -> Flow<Self> {
        let facts = &mut ctx.tracker.facts;
        ctx.out.event(Event::ComponentUpgraded {
            component: facts.component.clone(),
            from_version: facts.from_version.clone(),
            to_version: facts.to_version.clone(),
        });
        let next = self.p.more_components.remove(0);
        self.p.component = next.component;
        self.p.current_version = next.current_version;
        self.p.flash = next.flash;
        // A checkpoint belonged to the component just finished.
        self.p.resume = None;
        *facts = crate::jobs::tracker::Facts {
            component: self.p.component.clone(),
            from_version: self.p.current_version.clone(),
            ..Default::default()
        };
        self.phase = self.plan(ctx);
        Flow::Continue(self)
    }
}
