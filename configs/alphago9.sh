#!/usr/bin/env bash
# AlphaGo's pipeline on 9x9, end to end, then the paper's ablation (Figure 4) as a round robin
# anchored on GNU Go level 10. Every stage resumes when run again.
set -euo pipefail
RUN=${RUN:-runs/alphago9}
SL=training/networks/sl9.safetensors          # the shipped SL policy network (go9_pro)
T=${T:-0.25}                                   # seconds per move in the ablation

# RL policy network: REINFORCE against a pool of earlier versions; then RL against SL
go-engine train rl-policy --run "$RUN/rl-policy" --board 9 --init "$SL" \
    --iterations 150 --games 64 --lr 0.01 --pool-every 10 --eval-games 400
RL="$RUN/rl-policy/checkpoints/latest.safetensors"

# value network: one position per game from SL/RL policy games; its error beside rollouts of
# the random, light, trained fast, SL and RL policies (Figure 2b)
go-engine train value --sl "$SL" --rl "$RL" --run "$RUN/value" --board 9 --games 50000 --steps 3000
go-engine eval value --run "$RUN/value" --rollouts 1 4 16 64 --plot "$RUN/value/fig2b.png" --json
V="$RUN/value/checkpoints/value.safetensors"

G="go-engine gtp --size 9 --time $T --seed {seed}"
go-engine tournament --size 9 --games-per-pair 20 --out "$RUN/ablation" --gnugo-level 10 \
    --player "policy-only=go-engine gtp --size 9 --player policy --model $SL" \
    --player "rollouts-only=$G --player alphago --model $SL --uniform-priors --mix 1" \
    --player "value-only=$G --player alphago --model $SL --value-model $V --uniform-priors --mix 0" \
    --player "policy+rollouts=$G --player alphago --model $SL --mix 1" \
    --player "policy+value=$G --player alphago --model $SL --value-model $V --mix 0" \
    --player "full-0.25=$G --player alphago --model $SL --value-model $V --mix 0.25" \
    --player "full-0.5=$G --player alphago --model $SL --value-model $V --mix 0.5" \
    --player "full-0.75=$G --player alphago --model $SL --value-model $V --mix 0.75"
