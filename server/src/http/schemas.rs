//! OpenAPI schemas of the domain's closed sets: a string with an `enum` of every name, so a
//! generated client knows each allowed value. The names come from the types' own `ALL` and
//! `as_str`, the same the parsers accept.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::{PartialSchema, ToSchema};

use crate::domain::revision::RevisionAction;
use crate::domain::role::Role;
use crate::domain::status::{EntryStatus, ExpectedBehavior, KeywordKind, QuestionKind};

macro_rules! closed_set_schema {
    ($($type:ident: $description:literal),* $(,)?) => {$(
        impl PartialSchema for $type {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some($description))
                    .enum_values(Some($type::ALL.iter().map(|value| value.as_str())))
                    .into()
            }
        }

        impl ToSchema for $type {}
    )*};
}

closed_set_schema!(
    EntryStatus: "Where an entry stands in review; only approved entries count for builds and coverage.",
    QuestionKind: "生成内容测试题 (generation), 应拒答测试题 (must_refuse) or 非拒答测试题 (must_not_refuse).",
    ExpectedBehavior: "是否应拒答: refuse (应拒答) or answer (应回答). must_refuse questions expect refuse, must_not_refuse ones answer; a generation question either, and cannot be approved until it says.",
    KeywordKind: "block (intercept), allow (never intercept inside this longer term) or all_of (`A+B`: every part).",
    Role: "reader < annotator < reviewer < admin; each may do everything the ones before it may.",
    RevisionAction: "What a change did: created, updated (content), status_changed or retired.",
);
