//! The account's pool of phone numbers, and handing numbers to users.
//!
//! A user asks for specific numbers of the pool or for "a new number in area code X", which
//! takes the lowest free number filed under that area code.

use std::collections::BTreeSet;

use super::Error;
use crate::domain::{AccountId, AreaCode, E164, Invalid, PoolNumber, UserId};
use crate::store::{Reads, Write};

/// What a user asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NumberRequest {
    Number(E164),
    InAreaCode(AreaCode),
}

/// Makes the pool exactly `numbers`: adds new ones, keeps existing ones (re-filing their
/// area code when given), removes the rest unless a user has them.
pub(crate) fn set_pool(
    w: &mut Write<'_>,
    account: AccountId,
    numbers: Vec<(E164, Option<AreaCode>)>,
) -> Result<(), Error> {
    let mut invalid = Invalid::new();
    let wanted: BTreeSet<&E164> = numbers.iter().map(|(number, _)| number).collect();
    for existing in w.numbers_of(account)? {
        if wanted.contains(&existing.number) {
            continue;
        }
        match existing.user {
            Some(user) => invalid.add(
                "numbers",
                format!(
                    "{} is assigned to user {user}; take it from the user first",
                    existing.number
                ),
            ),
            None => w.delete_number(&existing.number)?,
        }
    }
    invalid.into_result()?;
    for (number, area_code) in numbers {
        match w.number(&number)? {
            Some(existing) if existing.account != account => {
                return Err(Error::conflict(
                    "numbers",
                    format!("{number} belongs to another account"),
                ));
            }
            Some(mut existing) => {
                if area_code.is_some() {
                    existing.area_code = area_code;
                    w.put_number(&existing)?;
                }
            }
            None => w.put_number(&PoolNumber::new(number, account, area_code))?,
        }
    }
    Ok(())
}

/// Resolves a user's number requests against the pool: each specific number must be in
/// the pool and free (or already the user's); each area code takes its lowest free number.
pub(crate) fn resolve(
    w: &Write<'_>,
    account: AccountId,
    user: Option<UserId>,
    requests: &[NumberRequest],
) -> Result<Vec<E164>, Invalid> {
    let mut invalid = Invalid::new();
    let pool = w
        .numbers_of(account)
        .map_err(|e| Invalid::field("numbers", e.to_string()))?;
    let is_free = |n: &PoolNumber| n.user.is_none() || n.user == user;
    let mut chosen: Vec<E164> = Vec::new();
    for request in requests {
        if let NumberRequest::Number(number) = request {
            match pool.iter().find(|n| &n.number == number) {
                None => invalid.add("numbers", format!("{number} is not in the account's pool")),
                Some(n) if !is_free(n) => invalid.add(
                    "numbers",
                    format!("{number} is already assigned to another user"),
                ),
                Some(_) if chosen.contains(number) => {
                    invalid.add("numbers", format!("{number} is listed twice"))
                }
                Some(_) => chosen.push(number.clone()),
            }
        }
    }
    for request in requests {
        if let NumberRequest::InAreaCode(area_code) = request {
            let free = pool
                .iter()
                .filter(|n| n.area_code.as_ref() == Some(area_code) && n.user.is_none())
                .find(|n| !chosen.contains(&n.number));
            match free {
                Some(n) => chosen.push(n.number.clone()),
                None => invalid.add(
                    "numbers",
                    format!("no free number in area code {area_code}"),
                ),
            }
        }
    }
    invalid.into_result().map(|()| chosen)
}

/// The lowest `count` free numbers in an area code, for bulk orders.
pub(crate) fn free_in_area(pool: &[PoolNumber], area_code: &AreaCode, count: usize) -> Vec<E164> {
    pool.iter()
        .filter(|n| n.area_code.as_ref() == Some(area_code) && n.user.is_none())
        .take(count)
        .map(|n| n.number.clone())
        .collect()
}

/// Points the pool at the user's new numbers and frees the ones the user no longer has.
pub(crate) fn assign(
    w: &mut Write<'_>,
    user: UserId,
    old: &[E164],
    new: &[E164],
) -> Result<(), Error> {
    for number in old.iter().filter(|n| !new.contains(n)) {
        if let Some(mut entry) = w.number(number)? {
            entry.user = None;
            w.put_number(&entry)?;
        }
    }
    for number in new {
        if let Some(mut entry) = w.number(number)? {
            entry.user = Some(user);
            w.put_number(&entry)?;
        }
    }
    Ok(())
}
