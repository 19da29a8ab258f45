//! SIP server templates of multi-cell DECT systems (Yealink W75DM/W80DM/W90DM).
//!
//! A DECT manager does not take a registrar per account: it keeps up to ten SIP server
//! templates (`template.N.sip_server.M.*`, `template.N.outbound.*`) and each account names
//! one (`account.X.sip_server.template = N`) — Yealink's multi-cell admin guides, Wazo
//! `base-dect.tpl`, FusionPBX `w80/`. [`SipTemplateSlot::assign`] gives every distinct route
//! of a device's lines a template, in account order; every line of one sipprov account shares
//! the account's route, so a device has template 1 and the other nine are rendered cleared.

use serde::Serialize;

use super::context::{AccountSlot, LineRoute};
use crate::vendors::{Cells, Dect};

/// SIP server templates a DECT manager keeps.
pub const SIP_TEMPLATES: u16 = 10;

/// One SIP server template of a DECT manager.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SipTemplateSlot {
    /// The template index on the manager, 1 to 10.
    pub number: u16,
    /// The route its accounts register through; `None` renders the template cleared.
    pub template: Option<SipTemplate>,
}

/// A route, as a template holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SipTemplate {
    /// Shown in the manager's web UI: the SIP domain its accounts register as.
    pub name: String,
    /// The SIP domain per registrar, and the outbound proxies (as on a desk phone's account).
    pub route: LineRoute,
    /// Registration lifetime in seconds, from the first line of the route.
    pub expires: u32,
}

impl SipTemplateSlot {
    /// The templates of a device, all ten for a multi-cell system (none otherwise), each line
    /// pointing at the template of its route. A route past the tenth gets no template and
    /// its line none: the renderer refuses such a context rather than register it nowhere.
    pub fn assign(dect: Option<Dect>, accounts: &mut [AccountSlot]) -> Vec<SipTemplateSlot> {
        let Some(Dect {
            cells: Cells::Multi,
            ..
        }) = dect
        else {
            return Vec::new();
        };
        let mut templates: Vec<SipTemplate> = Vec::new();
        for line in accounts.iter_mut().filter_map(|slot| slot.line.as_mut()) {
            let index = match templates.iter().position(|t| t.route == line.route) {
                Some(index) => Some(index),
                None if templates.len() < usize::from(SIP_TEMPLATES) => {
                    templates.push(SipTemplate {
                        name: line.route.servers[0]
                            .as_ref()
                            .map_or_else(|| "sipprov".to_owned(), |server| server.host.clone()),
                        route: line.route.clone(),
                        expires: line.expires,
                    });
                    Some(templates.len() - 1)
                }
                None => None,
            };
            line.sip_template = index.and_then(|i| u16::try_from(i + 1).ok());
        }
        let mut templates = templates.into_iter();
        (1..=SIP_TEMPLATES)
            .map(|number| SipTemplateSlot {
                number,
                template: templates.next(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::render::context::tests::line;

    fn multi() -> Option<Dect> {
        Some(Dect {
            handsets: 100,
            cells: Cells::Multi,
            active_handsets: None,
        })
    }

    #[test]
    fn lines_of_one_route_share_template_one_and_the_rest_are_cleared() {
        let lines = BTreeMap::from([(1, line("Ann")), (2, line("Bob")), (5, line("Cid"))]);
        let mut accounts = AccountSlot::all(100, lines);
        let templates = SipTemplateSlot::assign(multi(), &mut accounts);
        let numbers: Vec<u16> = templates.iter().map(|t| t.number).collect();
        assert_eq!(numbers, (1..=10).collect::<Vec<_>>());
        let first = templates[0].template.as_ref().unwrap();
        assert_eq!(first.name, "sip.example.com");
        assert_eq!(first.expires, 3600);
        assert!(templates[1..].iter().all(|t| t.template.is_none()));
        let pointing: Vec<Option<u16>> = accounts
            .iter()
            .filter_map(|slot| slot.line.as_ref())
            .map(|line| line.sip_template)
            .collect();
        assert_eq!(pointing, [Some(1), Some(1), Some(1)]);
    }

    #[test]
    fn distinct_routes_get_their_own_templates_up_to_ten() {
        let lines = (1..=11)
            .map(|n| {
                let mut account = line("X");
                account.route.servers[0].as_mut().unwrap().port = 5000 + n;
                (n, account)
            })
            .collect();
        let mut accounts = AccountSlot::all(100, lines);
        let templates = SipTemplateSlot::assign(multi(), &mut accounts);
        assert!(templates.iter().all(|t| t.template.is_some()));
        let pointing: Vec<Option<u16>> = accounts[..11]
            .iter()
            .map(|slot| slot.line.as_ref().unwrap().sip_template)
            .collect();
        let mut expected: Vec<Option<u16>> = (1..=10).map(Some).collect();
        expected.push(None);
        assert_eq!(pointing, expected);
    }

    #[test]
    fn desk_phones_and_single_cell_bases_have_no_templates() {
        let mut accounts = AccountSlot::all(5, BTreeMap::from([(1, line("Ann"))]));
        let single = Some(Dect {
            handsets: 5,
            cells: Cells::Single,
            active_handsets: None,
        });
        assert!(SipTemplateSlot::assign(single, &mut accounts).is_empty());
        assert!(SipTemplateSlot::assign(None, &mut accounts).is_empty());
        assert_eq!(accounts[0].line.as_ref().unwrap().sip_template, None);
    }
}
