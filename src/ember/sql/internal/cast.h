// SQL's CAST over one expression's values (internal to sql/), as Spark without ANSI mode:
// text that does not parse is NULL; dates and timestamps as docs/sql.md says.
#pragma once

#include "ember/sql/internal/ast.h"
#include "ember/sql/internal/vec.h"

namespace ember::sql::internal {

// Converts `a` to `to` (a cast the checker allowed: Castable); strings it makes live in
// `arena`.
Vec CastVec(Vec a, SqlType to, Arena& arena);

}  // namespace ember::sql::internal
