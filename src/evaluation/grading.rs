//! Grades (等次), quotas (名额限制) and ranks (排名) across all evaluated subjects.
//!
//! All comparisons use the score rounded to 2 decimals — what is displayed is what is judged,
//! so 89.996 (shown as 90.00) is 优秀 and floating-point noise never separates equal scores.
//!
//! 1. Threshold grade: the first band (best first) whose `min_score` the score reaches.
//! 2. Veto (一票否决): a vetoed subject gets the lowest grade whatever its score.
//! 3. Quotas, best grade first: with N subjects evaluated (vetoed ones included), at most
//!    ⌊max_share × N⌋ subjects may hold the grade. The holders are ordered by score; those
//!    beyond the quota drop to the next grade (where that grade's quota applies in turn).
//!    Ties at the boundary follow [`QuotaTies`]: by default all subjects tied at the
//!    boundary drop when admitting them all would exceed the quota.
//! 4. Rank: vetoed subjects rank after all others; within each part, by score descending.
//!    Equal scores share a rank: standard competition ranking "1, 2, 2, 4" by default, or
//!    dense "1, 2, 2, 3" ([`RankingMethod`]).
use super::result::{SubjectResult, cents};
use super::scheme::{QuotaTies, RankingMethod, Scheme};

/// Fills `grade`, `threshold_grade`, `grade_note` and `rank` of every result.
/// The scheme must be validated (at least one grade, quotas name existing grades).
pub(crate) fn grade_and_rank(scheme: &Scheme, results: &mut [SubjectResult]) {
    let grades = &scheme.grades;
    let lowest = grades.len() - 1;
    let band = |score: f64| {
        grades
            .iter()
            .position(|g| cents(score) >= cents(g.min_score))
            .unwrap_or(lowest)
    };
    let mut current: Vec<usize> = Vec::with_capacity(results.len());
    for r in results.iter_mut() {
        let b = band(r.score);
        r.threshold_grade = grades[b].label.clone();
        r.grade_note = None;
        if r.vetoed {
            if b != lowest {
                r.grade_note = Some(format!(
                    "vetoed (一票否决): {} → {}",
                    grades[b].label, grades[lowest].label
                ));
            }
            current.push(lowest);
        } else {
            current.push(b);
        }
    }

    let n = results.len();
    for (g, grade) in grades.iter().enumerate().take(lowest) {
        let Some(q) = scheme.quota.iter().find(|q| q.grade == grade.label) else {
            continue;
        };
        let allowed = (q.max_share * n as f64 + 1e-9).floor() as usize;
        let mut holders: Vec<usize> = (0..n).filter(|&i| current[i] == g).collect();
        if holders.len() <= allowed {
            continue;
        }
        holders.sort_by_key(|&i| std::cmp::Reverse(cents(results[i].score)));
        // Scores (in cents) that keep the grade.
        let first_out = cents(results[holders[allowed]].score);
        let last_in = (allowed > 0).then(|| cents(results[holders[allowed - 1]].score));
        let keeps = |c: i64| -> bool {
            match q.ties {
                // Keep only scores strictly above the first excluded one.
                QuotaTies::DropAll => c > first_out,
                // Keep everyone at least equal to the last admitted one.
                QuotaTies::KeepAll => last_in.is_some_and(|l| c >= l),
            }
        };
        for &i in &holders {
            if !keeps(cents(results[i].score)) {
                current[i] = g + 1;
                let note = format!(
                    "quota: at most {:.0}% of {n} = {allowed} may be {}; dropped to {}",
                    q.max_share * 100.0,
                    grade.label,
                    grades[g + 1].label
                );
                results[i].grade_note = Some(match results[i].grade_note.take() {
                    Some(prev) => format!("{prev}; {note}"),
                    None => note,
                });
            }
        }
    }
    for (r, g) in results.iter_mut().zip(&current) {
        r.grade = grades[*g].label.clone();
    }

    // Ranking key: non-vetoed first, then higher score.
    let key = |r: &SubjectResult| (r.vetoed, std::cmp::Reverse(cents(r.score)));
    let keys: Vec<_> = results.iter().map(key).collect();
    let mut distinct = keys.clone();
    distinct.sort();
    distinct.dedup();
    for (r, k) in results.iter_mut().zip(&keys) {
        let rank = match scheme.ranking {
            RankingMethod::Standard => keys.iter().filter(|o| *o < k).count() + 1,
            RankingMethod::Dense => distinct.iter().filter(|o| *o < k).count() + 1,
        };
        r.rank = rank as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::super::scheme::{GradeQuota, SubjectKind, default_grades};
    use super::*;

    fn scheme(quota: Vec<GradeQuota>, ranking: RankingMethod) -> Scheme {
        Scheme {
            name: "t".into(),
            title: "t".into(),
            description: None,
            subject_kind: SubjectKind::Agency,
            subjects_under: None,
            grades: default_grades(),
            quota,
            ranking,
            criteria: Vec::new(),
            adjustment_rules: Vec::new(),
        }
    }

    fn results(scores: &[f64]) -> Vec<SubjectResult> {
        scores
            .iter()
            .enumerate()
            .map(|(i, &score)| SubjectResult {
                subject_id: i as i64,
                subject_name: format!("S{i}"),
                score,
                weighted_score: score,
                adjustment_total: 0.0,
                clamped: false,
                grade: String::new(),
                threshold_grade: String::new(),
                grade_note: None,
                rank: 0,
                vetoed: false,
                veto_reasons: Vec::new(),
                criteria: Vec::new(),
                adjustments: Vec::new(),
                warnings: Vec::new(),
            })
            .collect()
    }

    fn grades(rs: &[SubjectResult]) -> Vec<&str> {
        rs.iter().map(|r| r.grade.as_str()).collect()
    }

    fn ranks(rs: &[SubjectResult]) -> Vec<u32> {
        rs.iter().map(|r| r.rank).collect()
    }

    #[test]
    fn thresholds_compare_the_rounded_score() {
        let mut rs = results(&[89.996, 89.994, 80.0, 59.999, 60.0, 0.0]);
        grade_and_rank(&scheme(vec![], RankingMethod::Standard), &mut rs);
        assert_eq!(
            grades(&rs),
            ["优秀", "良好", "良好", "合格", "合格", "不合格"]
        );
        // 59.999 and 60.0 both display as 60.00: tied.
        assert_eq!(ranks(&rs), [1, 2, 3, 4, 4, 6]);
    }

    #[test]
    fn standard_and_dense_ranking() {
        let mut rs = results(&[95.0, 90.0, 90.0, 85.0]);
        grade_and_rank(&scheme(vec![], RankingMethod::Standard), &mut rs);
        assert_eq!(ranks(&rs), [1, 2, 2, 4]);
        grade_and_rank(&scheme(vec![], RankingMethod::Dense), &mut rs);
        assert_eq!(ranks(&rs), [1, 2, 2, 3]);
    }

    /// 10 subjects, at most 20% 优秀 → ⌊0.2 × 10⌋ = 2 places. Scores 96, 93, 93 are 优秀 by
    /// threshold: the two 93s tie at the boundary (places 2 and 3).
    #[test]
    fn quota_ties_at_the_boundary() {
        let scores = [96.0, 93.0, 93.0, 91.0, 85.0, 84.0, 70.0, 65.0, 61.0, 50.0];
        let q = |ties| {
            vec![GradeQuota {
                grade: "优秀".into(),
                max_share: 0.2,
                ties,
            }]
        };
        // drop_all: admitting both 93s would make 3 > 2, so both drop; 91 drops too.
        let mut rs = results(&scores);
        grade_and_rank(
            &scheme(q(QuotaTies::DropAll), RankingMethod::Standard),
            &mut rs,
        );
        assert_eq!(&grades(&rs)[..5], ["优秀", "良好", "良好", "良好", "良好"]);
        assert!(rs[1].grade_note.as_deref().unwrap().contains("quota"));
        assert_eq!(rs[1].threshold_grade, "优秀");
        // keep_all: both 93s stay (3 优秀, quota exceeded by the tie); 91 drops.
        let mut rs = results(&scores);
        grade_and_rank(
            &scheme(q(QuotaTies::KeepAll), RankingMethod::Standard),
            &mut rs,
        );
        assert_eq!(&grades(&rs)[..5], ["优秀", "优秀", "优秀", "良好", "良好"]);
    }

    /// Dropped subjects join the next grade, whose quota then applies to them as well.
    #[test]
    fn quotas_cascade() {
        // 5 subjects; 优秀 ≤ 20% → 1; 良好 ≤ 40% → 2.
        let quota = vec![
            GradeQuota {
                grade: "优秀".into(),
                max_share: 0.2,
                ties: QuotaTies::DropAll,
            },
            GradeQuota {
                grade: "良好".into(),
                max_share: 0.4,
                ties: QuotaTies::DropAll,
            },
        ];
        let mut rs = results(&[99.0, 95.0, 92.0, 85.0, 40.0]);
        grade_and_rank(&scheme(quota, RankingMethod::Standard), &mut rs);
        // 优秀 keeps 99; 95 and 92 join 良好 with 85 → 3 > 2: 85 drops to 合格.
        assert_eq!(grades(&rs), ["优秀", "良好", "良好", "合格", "不合格"]);
    }

    #[test]
    fn vetoed_subjects_get_the_lowest_grade_and_rank_last() {
        let mut rs = results(&[95.0, 70.0, 60.0]);
        rs[0].vetoed = true;
        grade_and_rank(&scheme(vec![], RankingMethod::Standard), &mut rs);
        assert_eq!(grades(&rs), ["不合格", "合格", "合格"]);
        assert_eq!(rs[0].threshold_grade, "优秀");
        assert_eq!(ranks(&rs), [3, 1, 2]);
    }
}
