//! "Did you mean": the known name closest to a misspelt one, if any is
//! close enough to be a plausible typo. The one algorithm and threshold
//! for unknown fields, resource types and container names.

/// The candidate closest to `name`: one differing only in case, else the one
/// at the smallest edit distance (a transposition counts as one edit), as
/// long as that distance is at most a third of the name's length (at least 1).
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let limit = (name.chars().count() / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for candidate in candidates {
        if candidate.to_lowercase() == lower {
            return Some(candidate);
        }
        let distance = strsim::osa_distance(name, candidate);
        if distance <= limit && best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_find_their_field() {
        let fields = ["containers", "initContainers", "volumes", "restartPolicy"];
        for (typo, want) in [
            ("contianers", Some("containers")),
            ("container", Some("containers")),
            ("Containers", Some("containers")),
            ("restartpolicy", Some("restartPolicy")),
            ("volume", Some("volumes")),
            ("initContainer", Some("initContainers")),
            ("image", None),
            ("x", None),
        ] {
            assert_eq!(closest(typo, fields), want, "{typo}");
        }
    }

    #[test]
    fn typos_of_resources_and_containers() {
        assert_eq!(
            closest("petsetz", ["pods", "petsets", "pets"]),
            Some("petsets")
        );
        assert_eq!(closest("ngnix", ["nginx", "log"]), Some("nginx"));
        assert_eq!(closest("redis", ["nginx", "log"]), None);
    }
}
