//! Users: the list of an account's users (searched by name, extension or tag) and of its
//! unassigned extensions, a user's page, and deleting a user after a confirmation step.

use serde_json::json;

use super::access::Access;
use super::{Call, Failure, Page, Reply, Ui, json};
use crate::domain::{AccountId, SystemTag, UserId};
use crate::service::{AccountView, UserQuery, UserView};

/// Most users listed on one page.
const PAGE: usize = 200;

impl Ui {
    /// An account and a user of it the caller administers.
    pub(super) async fn user_and_account<'c>(
        &self,
        call: &'c Call,
        id: UserId,
    ) -> Result<(UserView, AccountView, &'c Access), Failure> {
        let access = call.admin()?;
        let user = self.run(move |s| s.user(id)).await?;
        if !access.sees_account(user.account) {
            return Err(Failure::NotFound("user"));
        }
        let account_id = user.account;
        let account = self.run(move |s| s.account(account_id)).await?;
        Ok((user, account, access))
    }

    /// Like [`Ui::user_and_account`], for changes: the caller's level must reach the user's.
    pub(super) async fn managed_user<'c>(
        &self,
        call: &'c Call,
        id: UserId,
    ) -> Result<(UserView, AccountView, &'c Access), Failure> {
        let (user, account, access) = self.user_and_account(call, id).await?;
        if !access.may_manage(&user) {
            return Err(Failure::Forbidden(format!(
                "{} is an admin above your level; only a higher admin may change them.",
                user.display_name
            )));
        }
        Ok((user, account, access))
    }

    pub(super) async fn users(&self, call: &Call, account: AccountId) -> Result<Reply, Failure> {
        call.admin_of(account)?;
        let unassigned = call.query.text("status") == "unassigned";
        let query = UserQuery {
            q: call.query.filled("q"),
            tag: call.query.filled("tag"),
            extension: call.query.filled("extension"),
            status: Some(if unassigned { "unassigned" } else { "active" }.to_owned()),
            cursor: call.query.filled("cursor").and_then(|c| c.parse().ok()),
            limit: PAGE,
        };
        let listed = self
            .run(move |s| {
                let account = s.account(account)?;
                let users = s.users(account.id, &query)?;
                let placeholders = UserQuery {
                    status: Some("unassigned".into()),
                    limit: PAGE,
                    ..UserQuery::default()
                };
                let waiting = s.users(account.id, &placeholders)?.items.len();
                Ok((account, users, waiting))
            })
            .await?;
        let (account, users, waiting) = listed;
        let next_page = users.next_cursor.as_ref().map(|cursor| {
            let mut query: Vec<(&str, &str)> = ["status", "q", "tag", "extension"]
                .into_iter()
                .filter_map(|key| call.query.get(key).map(|value| (key, value)))
                .collect();
            query.push(("cursor", cursor));
            let query = serde_urlencoded::to_string(&query).unwrap_or_default();
            format!("/accounts/{}/users?{query}", account.id)
        });
        let tags = [
            SystemTag::New,
            SystemTag::SetupRequired,
            SystemTag::PasswordRequired,
        ]
        .map(SystemTag::name);
        let page = Page::new(
            "users",
            format!("{} — users", account.name),
            json!({
                "account": json(&account),
                "users": json(&users.items),
                "next_page": next_page,
                "tab": if unassigned { "unassigned" } else { "active" },
                "unassigned_count": waiting,
                "search": {
                    "q": call.query.text("q"),
                    "tag": call.query.text("tag"),
                    "extension": call.query.text("extension"),
                },
                "system_tags": tags,
            }),
        )
        .in_account(&account, "users");
        Ok(Reply::Page(page))
    }

    pub(super) async fn user(&self, call: &Call, id: UserId) -> Result<Reply, Failure> {
        Ok(Reply::Page(self.user_page(call, id, None).await?))
    }

    pub(super) async fn delete_user_form(&self, call: &Call, id: UserId) -> Result<Reply, Failure> {
        let (user, account, _) = self.managed_user(call, id).await?;
        let page = Page::new(
            "user_delete",
            format!("Delete {}", user.display_name),
            json!({"user": json(&user), "account": json(&account)}),
        )
        .in_account(&account, "users");
        Ok(Reply::Page(page))
    }

    pub(super) async fn delete_user(&self, call: &Call, id: UserId) -> Result<Reply, Failure> {
        let (user, account, _) = self.managed_user(call, id).await?;
        self.run(move |s| s.delete_user(id)).await?;
        Ok(Reply::redirect_with(
            format!("/accounts/{}/users", account.id),
            format!(
                "{} (extension {}) deleted; their lines are free and their numbers back in the pool.",
                user.display_name, user.extension
            ),
        ))
    }
}
