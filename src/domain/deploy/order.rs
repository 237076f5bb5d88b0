//! The order a `promote --all` commit deploys its packages in (DESIGN §14):
//! a package after every package of the same commit it depends on, so the
//! CRM never receives a component before what it builds on.

use std::collections::{BTreeMap, BTreeSet};

/// `packages` maps each package of the commit to the packages it depends on
/// (dependencies outside the commit are already deployed and ignored).
/// Returns the names in dependency order; among packages free to go next,
/// name order, so the order is the same every time. A cycle (refused by the
/// gates, so only in hand-made input) keeps its members in name order at the end.
pub fn dependency_order<'a>(packages: &BTreeMap<&'a str, Vec<&'a str>>) -> Vec<&'a str> {
    let mut waiting: BTreeMap<&str, BTreeSet<&str>> = packages
        .iter()
        .map(|(name, deps)| {
            let inside = deps
                .iter()
                .copied()
                .filter(|d| d != name && packages.contains_key(d))
                .collect();
            (*name, inside)
        })
        .collect();
    let mut order = Vec::with_capacity(packages.len());
    while let Some(next) = waiting.iter().find(|(_, deps)| deps.is_empty()).map(|(n, _)| *n) {
        waiting.remove(next);
        for deps in waiting.values_mut() {
            deps.remove(next);
        }
        order.push(next);
    }
    order.extend(waiting.keys().copied());
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(input: &[(&'static str, &[&'static str])]) -> Vec<&'static str> {
        let map: BTreeMap<&str, Vec<&str>> = input.iter().map(|(n, d)| (*n, d.to_vec())).collect();
        dependency_order(&map)
    }

    #[test]
    fn independent_packages_go_in_name_order() {
        assert_eq!(
            order(&[("ui", &[]), ("apex", &[]), ("flows", &[])]),
            ["apex", "flows", "ui"]
        );
    }

    #[test]
    fn a_package_follows_what_it_depends_on() {
        // `apex` sorts before `objects` by name, but needs it.
        assert_eq!(
            order(&[("apex", &["objects"]), ("objects", &[]), ("ui", &["apex", "objects"])]),
            ["objects", "apex", "ui"]
        );
    }

    #[test]
    fn a_chain_is_deployed_from_its_root() {
        assert_eq!(order(&[("a", &["b"]), ("b", &["c"]), ("c", &[])]), ["c", "b", "a"]);
    }

    #[test]
    fn dependencies_outside_the_commit_and_on_itself_are_ignored() {
        assert_eq!(order(&[("b", &["core", "b"]), ("a", &["b"])]), ["b", "a"]);
    }

    #[test]
    fn a_cycle_keeps_every_package_once() {
        assert_eq!(
            order(&[("x", &["y"]), ("y", &["x"]), ("base", &[])]),
            ["base", "x", "y"]
        );
    }
}
