//! Retrying a read-decide-write whose precondition failed, after kubectl's
//! `pkg/scale` (`RetryOnConflict`): every write carries a precondition (a
//! resourceVersion, a uid or a JSON Patch `test`), and when the object
//! moved on under it the caller reads it again and decides again, never
//! writes blind.

use anyhow::Result;

use super::sets::{refresh, Set};
use crate::client::{Client, Error};

/// What one read-decide-write came to.
pub enum Attempt<T, C> {
    /// Written, or nothing was left to write.
    Done(T),
    /// The precondition failed (`C` says how): read again, decide again.
    Conflict(C),
}

/// A precondition that failed: a 409 Conflict, or a JSON Patch `test`
/// that did not hold, which the server answers with 422 Invalid.
pub fn precondition_failed(err: &Error) -> bool {
    err.is_conflict() || err.is_invalid()
}

/// Runs `attempt` (given its number, from 1) until it is done or fails, at
/// most `attempts` times; when the last one meets a conflict too,
/// `exhausted` turns that conflict into the answer.
pub async fn retry<T, C, E>(
    attempts: u32,
    mut attempt: impl AsyncFnMut(u32) -> Result<Attempt<T, C>, E>,
    exhausted: impl FnOnce(C) -> Result<T, E>,
) -> Result<T, E> {
    let mut number = 1;
    loop {
        match attempt(number).await? {
            Attempt::Done(done) => return Ok(done),
            Attempt::Conflict(last) if number >= attempts => return exhausted(last),
            Attempt::Conflict(_) => number += 1,
        }
    }
}

/// Runs `change` (decide, write with a precondition) on `set` and, when
/// its precondition failed, again on a fresh copy of the set: a 409, or a
/// JSON Patch `test` that failed (422) while the set had moved on. A 422
/// against an unchanged set is a real validation error and is returned.
pub async fn retry_on_conflict<T>(
    client: &Client,
    mut set: Set,
    mut change: impl AsyncFnMut(&Set) -> Result<T>,
) -> Result<T> {
    const ATTEMPTS: u32 = 5;
    let attempt = async |number| {
        let err = match change(&set).await {
            Ok(done) => return Ok(Attempt::Done(done)),
            Err(err) => err,
        };
        let Some(api) = err.downcast_ref::<Error>() else {
            return Err(err);
        };
        if !precondition_failed(api) {
            return Err(err);
        }
        if number >= ATTEMPTS {
            return Ok(Attempt::Conflict(err));
        }
        let fresh = refresh(client, &set).await?;
        if api.is_invalid() && fresh.resource_version() == set.resource_version() {
            return Err(err);
        }
        set = fresh;
        Ok(Attempt::Conflict(err))
    };
    retry(ATTEMPTS, attempt, Err).await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the attempt with a number answers.
    type Answer = Result<Attempt<&'static str, u32>, &'static str>;

    /// What `retry` answered, and how many attempts it made.
    type Ran = (Result<&'static str, String>, u32);

    /// Runs `retry` over attempts that answer, in turn, from `answers`;
    /// returns its answer and how many attempts it made.
    async fn run(attempts: u32, answers: &[Answer]) -> Ran {
        let mut made = 0;
        let answer = retry(
            attempts,
            async |number| {
                made = number;
                match &answers[number as usize - 1] {
                    Ok(Attempt::Done(v)) => Ok(Attempt::Done(*v)),
                    Ok(Attempt::Conflict(c)) => Ok(Attempt::Conflict(*c)),
                    Err(e) => Err(e.to_string()),
                }
            },
            |last| Err(format!("exhausted after conflict {last}")),
        )
        .await;
        (answer, made)
    }

    #[tokio::test]
    async fn retries_only_conflicts_and_only_as_often_as_allowed() {
        let cases: Vec<(&str, u32, Vec<Answer>, Ran)> = vec![
            (
                "done at once",
                3,
                vec![Ok(Attempt::Done("a"))],
                (Ok("a"), 1),
            ),
            (
                "done after a conflict",
                3,
                vec![Ok(Attempt::Conflict(1)), Ok(Attempt::Done("b"))],
                (Ok("b"), 2),
            ),
            (
                "an error is not retried",
                3,
                vec![Err("boom")],
                (Err("boom".into()), 1),
            ),
            (
                "the last conflict goes to exhausted",
                2,
                vec![Ok(Attempt::Conflict(1)), Ok(Attempt::Conflict(2))],
                (Err("exhausted after conflict 2".into()), 2),
            ),
            (
                "at least one attempt",
                0,
                vec![Ok(Attempt::Conflict(7))],
                (Err("exhausted after conflict 7".into()), 1),
            ),
        ];
        for (name, attempts, answers, want) in cases {
            assert_eq!(run(attempts, &answers).await, want, "{name}");
        }
    }
}
