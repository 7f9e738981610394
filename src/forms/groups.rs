//! Adding and removing items of a repeatable group (the "add"/"remove" buttons).

use super::answers::{AnswerValue, Answers};
use super::kinds::spec::{input_base, item_anchor};
use super::schema::FormVariant;

fn group(variant: &FormVariant, group_id: &str) -> Option<u32> {
    variant.field(group_id)?.kind.max_items()
}

/// Appends an empty item to a repeatable group; false if unknown or full.
pub fn add_group_item(variant: &FormVariant, answers: &mut Answers, group_id: &str) -> bool {
    let Some(max) = group(variant, group_id) else {
        return false;
    };
    let mut items = match answers.remove(group_id) {
        Some(AnswerValue::Group(items)) => items,
        _ => Vec::new(),
    };
    let added = items.len() < max as usize;
    if added {
        items.push(Answers::default());
    }
    answers.set(group_id.to_string(), AnswerValue::Group(items));
    added
}

/// Removes item `index` of a repeatable group; false if there was none.
pub fn remove_group_item(
    variant: &FormVariant,
    answers: &mut Answers,
    group_id: &str,
    index: usize,
) -> bool {
    if group(variant, group_id).is_none() {
        return false;
    }
    match answers.0.get_mut(group_id) {
        Some(AnswerValue::Group(items)) if index < items.len() => {
            items.remove(index);
            if items.is_empty() {
                answers.remove(group_id);
            }
            true
        }
        _ => false,
    }
}

/// A group button's `action` value: `add:<group>` or `remove:<group>.<index>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupAction {
    Add(String),
    Remove(String, usize),
}

impl GroupAction {
    pub fn parse(action: &str) -> Option<GroupAction> {
        if let Some(g) = action.strip_prefix("add:") {
            return Some(GroupAction::Add(g.to_string()));
        }
        let (g, i) = action.strip_prefix("remove:")?.rsplit_once('.')?;
        Some(GroupAction::Remove(g.to_string(), i.parse().ok()?))
    }

    /// Applies the action; false if it changed nothing.
    pub fn apply(&self, variant: &FormVariant, answers: &mut Answers) -> bool {
        match self {
            GroupAction::Add(g) => add_group_item(variant, answers, g),
            GroupAction::Remove(g, i) => remove_group_item(variant, answers, g, *i),
        }
    }

    /// The element id to land on once applied: the new item after "add", the next item
    /// after "remove" (its "add" button when the last one went). Only ids, never data.
    pub fn landing(&self, answers: &Answers) -> String {
        let group = match self {
            GroupAction::Add(g) | GroupAction::Remove(g, _) => g,
        };
        let base = input_base(None, group);
        let count = match answers.get(group) {
            Some(AnswerValue::Group(items)) => items.len(),
            _ => 0,
        };
        match self {
            GroupAction::Add(_) if count > 0 => item_anchor(&base, count - 1),
            GroupAction::Remove(_, i) if *i < count => item_anchor(&base, *i),
            _ => format!("{base}-add"),
        }
    }
}
