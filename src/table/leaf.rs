//! What every leaf execution plan of ours shares (the git scan, `refresh_repos`' fetches):
//! properties built from a projected schema, and the `ExecutionPlan` methods of a node with no
//! children and no expressions.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use datafusion::physical_expr::EquivalenceProperties;
use datafusion::physical_plan::execution_plan::{Boundedness, EmissionType};
use datafusion::physical_plan::{Partitioning, PlanProperties};

/// A bounded leaf's properties: `partitions` output partitions of `schema`, emitted as `emission`
/// says, with no known ordering or partitioning.
pub(crate) fn properties(
    schema: &SchemaRef,
    partitions: usize,
    emission: EmissionType,
) -> Arc<PlanProperties> {
    Arc::new(PlanProperties::new(
        EquivalenceProperties::new(schema.clone()),
        Partitioning::UnknownPartitioning(partitions.max(1)),
        emission,
        Boundedness::Bounded,
    ))
}

/// The `ExecutionPlan` methods of a leaf: no children, no expressions, nothing to rebuild.
/// Used inside `impl ExecutionPlan for ...`.
macro_rules! leaf_methods {
    () => {
        fn children(&self) -> Vec<&std::sync::Arc<dyn datafusion::physical_plan::ExecutionPlan>> {
            vec![]
        }

        fn apply_expressions(
            &self,
            _f: &mut dyn FnMut(
                &std::sync::Arc<dyn datafusion::physical_expr::PhysicalExpr>,
            )
                -> datafusion::error::Result<datafusion::common::tree_node::TreeNodeRecursion>,
        ) -> datafusion::error::Result<datafusion::common::tree_node::TreeNodeRecursion> {
            Ok(datafusion::common::tree_node::TreeNodeRecursion::Continue)
        }

        #[allow(deprecated)]
        fn with_new_children(
            self: std::sync::Arc<Self>,
            _children: Vec<std::sync::Arc<dyn datafusion::physical_plan::ExecutionPlan>>,
        ) -> datafusion::error::Result<std::sync::Arc<dyn datafusion::physical_plan::ExecutionPlan>> {
            Ok(self)
        }
    };
}
pub(crate) use leaf_methods;
