// Package consensus decides proposals: given the members eligible to vote,
// their positions and a decision rule, it computes a verdict that anyone, an
// allied movement included, can recompute and check. It is pure domain logic:
// no HTTP, no SQL, standard library only.
//
// # Positions
//
// A member agrees, stands aside, disagrees or blocks, or has not voted:
//
//   - agree: supports the proposal.
//   - stand aside: will not support it but will not stop the group. A
//     stand-aside is a vote cast: it counts towards quorum and in the votes
//     cast, is left out of the agree + disagree + block base, and may be
//     limited by the rule.
//   - disagree: is against it, but does not stop it on their own.
//   - block: a principled objection. Blocks are limited by the rule (0 in
//     classic consensus). A block is also always counted as a disagreement
//     when agreement is measured, so under a rule with no block limit
//     (simple majority, two-thirds, ...) a block is simply a "no".
//
// # Counting
//
// Every verdict lists the same four requirements, in this order, met or
// missed, with the numbers that decided them. A proposal is adopted when all
// four are met.
//
//   - quorum: votes cast / eligible ≥ quorum. Any position counts as cast. At
//     least one vote is always needed, whatever the quorum, so a proposal is
//     never adopted by nobody; in particular with zero eligible voters the
//     quorum is missed and nothing is adopted.
//   - agreement: agree / base ≥ threshold, or > threshold when the rule says
//     "more than" (simple majority is more than 1/2, so a tie fails). The base
//     is part of the rule: agree + disagree + block (stand-asides left out),
//     votes cast, or eligible voters. When the base is zero (for example
//     everyone stood aside) agreement is missed, unless the threshold is
//     "at least 0", which means the rule does not measure agreement at all.
//   - blocks: at most a count, or at most a share of votes cast, or no limit.
//   - stand-asides: at most a count, or at most a share of votes cast, or no
//     limit.
//
// All shares are exact rationals (60% is 3/5) compared by integer
// cross-multiplication, so there are no floating-point surprises at the
// boundary: 2 of 3 meets two-thirds, and "at least" means ≥.
//
// Reasons: a rule may require a reason for a block and for a disagreement.
// The tally carries no reasons, so Decide does not check them; whoever
// records votes must refuse a block without a reason (see Rule.NeedsReason).
//
// # Modified consensus
//
// A rule may carry a fallback rule. When a round fails only because of blocks
// (every other requirement met), a second round may be opened under the
// fallback, typically a supermajority such as 9/10 of votes cast with no
// block limit (see Outcome.FallbackRound). A fallback has no fallback of its
// own.
//
// # Presets
//
// Presets lists the rules people recognise: consensus, modified consensus,
// consent, simple majority, two-thirds and three-quarters. Consent follows
// sociocracy: only a block (a reasoned, paramount objection) stops it;
// agreement is not measured, and a disagreement records a concern that is not
// an objection.
//
// # Publishing
//
// Rules, tallies and outcomes have a stable JSON form with ratios written as
// "2/3" and positions as strings, so a published outcome (which embeds its
// rule and tally) can be checked with Verify.
package consensus
