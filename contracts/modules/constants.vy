# pragma version ~=0.4.3
"""
@title agentnet protocol constants
@custom:contract-name constants
@license GNU Affero General Public License v3.0 only
@notice Limits and codes that more than one contract or module of the
        protocol relies on, declared once. Constants used by one
        contract only live in that contract.
"""


# Largest committee (seats) of a task.
MAX_COMMITTEE: constant(uint256) = 16
# Models an agent serves at most.
MAX_MODELS: constant(uint256) = 16

# Agents with a place (leaf) in one model's stake tree at once; the place of
# an agent that left is reused two epochs later.
MAX_AGENTS_PER_MODEL: constant(uint256) = 2_048
# log2(MAX_AGENTS_PER_MODEL): a walk up or down the tree visits at most
# LOG_AGENTS + 1 nodes.
LOG_AGENTS: constant(uint256) = 11

# Stake weights change in epochs of this many blocks: a change made in
# epoch k counts for draws whose draw block lies in epoch k + 1 or later.
EPOCH_BLOCKS: constant(uint256) = 256
# `blockhash` reads the last 256 blocks: a draw block older than this is
# replaced by a new one (and, being one epoch long, only the current and
# the previous epoch's weights are ever read by a draw).
BLOCKHASH_WINDOW: constant(uint256) = 256

# Largest stake of one agent (1.2 million ETH), small enough that 2,048 of them
# sum below 2**96 (a stake tree node's value).
MAX_STAKE: constant(uint256) = 2**80 - 1

# Slash reasons, as in the protocol (`Slashed.reason`).
REASON_MISSED: constant(uint8) = 1
REASON_WRONG: constant(uint8) = 2
