//! What the API refuses of a Backup or Schedule. A real cluster's CRD schema only checks
//! types and velero itself marks a bad object `FailedValidation` later; refusing an
//! unreadable ttl or cron at once (422) lets a server-side dry run catch it in a plan.

use super::parse_duration;
use super::types::{Backup, BackupSpec, Schedule};
use crate::sim::kube::admission::Admission;
use crate::sim::kube::controllers::cron;
use crate::sim::kube::status::ApiError;
use crate::sim::kube::types::SimObject;

fn invalid<T: SimObject>(name: &str, field: &str, detail: String) -> ApiError {
    ApiError::invalid(T::SIM_KIND.resource(), name, field, &detail)
}

fn check_spec<T: SimObject>(name: &str, spec: &BackupSpec, path: &str) -> Result<(), ApiError> {
    if let Some(ttl) = spec.ttl.as_deref()
        && parse_duration(ttl).is_none()
    {
        return Err(invalid::<T>(
            name,
            &format!("{path}.ttl"),
            format!("Invalid value: \"{ttl}\": not a duration (like 168h0m0s)"),
        ));
    }
    if spec.label_selector.is_some() && spec.or_label_selectors.is_some() {
        return Err(invalid::<T>(
            name,
            &format!("{path}.orLabelSelectors"),
            "Forbidden: labelSelector and orLabelSelectors cannot co-exist".into(),
        ));
    }
    Ok(())
}

impl Admission for Backup {
    fn validate(&self, _old: Option<&Self>) -> Result<(), ApiError> {
        let name = self.metadata.name.clone().unwrap_or_default();
        check_spec::<Self>(&name, &self.spec, "spec")
    }
}

impl Admission for Schedule {
    fn validate(&self, _old: Option<&Self>) -> Result<(), ApiError> {
        let name = self.metadata.name.clone().unwrap_or_default();
        let schedule = &self.spec.schedule;
        if let Err(e) = cron::Schedule::parse(schedule) {
            return Err(invalid::<Self>(
                &name,
                "spec.schedule",
                format!("Invalid value: \"{schedule}\": {e}"),
            ));
        }
        check_spec::<Self>(&name, &self.spec.template, "spec.template")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::kube::admission::admit;

    #[test]
    fn a_bad_ttl_or_cron_is_refused() {
        let mut backup = Backup::default();
        backup.metadata.name = Some("b".into());
        backup.spec.ttl = Some("a week".into());
        assert_eq!(admit(&mut backup, None).map_err(|e| e.code), Err(422));
        backup.spec.ttl = Some("168h0m0s".into());
        assert!(admit(&mut backup, None).is_ok());

        let mut schedule = Schedule::default();
        schedule.metadata.name = Some("daily".into());
        schedule.spec.schedule = "nightly".into();
        assert_eq!(admit(&mut schedule, None).map_err(|e| e.code), Err(422));
        schedule.spec.schedule = "0 1 * * *".into();
        assert!(admit(&mut schedule, None).is_ok());
    }
}
