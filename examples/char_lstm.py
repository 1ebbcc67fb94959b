"""Train a character-level LSTM on the opening of Alice's Adventures in Wonderland and let it write greedily.

    python examples/char_lstm.py [--epochs 10] [--hidden 128] [--seq-len 64] [--seed 0] [--prompt "Alice "]

The text (Lewis Carroll, 1865, public domain; ASCII punctuation) is written into this file: no download.
Its first 90% is for training, the rest is held out. The model, nn.Embedding -> nn.LSTM -> nn.Dropout ->
nn.Linear, is trained with Adam on random windows of the training text to predict each next character. Each epoch
prints the mean training loss and the next-character accuracy on the held-out text, next to two
baselines computed from the training text (always the most frequent character; the most frequent
successor of the current character). At the end it prints a sample written greedily (the most likely
character each time) from a prompt, and the final held-out accuracy. Greedy writing from a model of a few
pages soon falls into a loop of its likeliest phrase ("it was not it was not ..."); sampling from the
predicted distribution instead would vary it, but greedy shows what the model finds most likely.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable

import numpy as np
from tqdm import tqdm

import autograd_lite as al
import nn

TEXT = """
Alice was beginning to get very tired of sitting by her sister on the bank, and of having nothing to do: once or
twice she had peeped into the book her sister was reading, but it had no pictures or conversations in it, 'and what
is the use of a book,' thought Alice 'without pictures or conversations?'

So she was considering in her own mind (as well as she could, for the hot day made her feel very sleepy and
stupid), whether the pleasure of making a daisy-chain would be worth the trouble of getting up and picking the
daisies, when suddenly a White Rabbit with pink eyes ran close by her.

There was nothing so VERY remarkable in that; nor did Alice think it so VERY much out of the way to hear the Rabbit
say to itself, 'Oh dear! Oh dear! I shall be late!' (when she thought it over afterwards, it occurred to her that
she ought to have wondered at this, but at the time it all seemed quite natural); but when the Rabbit actually TOOK
A WATCH OUT OF ITS WAISTCOAT-POCKET, and looked at it, and then hurried on, Alice started to her feet, for it flashed
across her mind that she had never before seen a rabbit with either a waistcoat-pocket, or a watch to take out of
it, and burning with curiosity, she ran across the field after it, and fortunately was just in time to see it pop
down a large rabbit-hole under the hedge.

In another moment down went Alice after it, never once considering how in the world she was to get out again.

The rabbit-hole went straight on like a tunnel for some way, and then dipped suddenly down, so suddenly that Alice
had not a moment to think about stopping herself before she found herself falling down a very deep well.

Either the well was very deep, or she fell very slowly, for she had plenty of time as she went down to look about
her and to wonder what was going to happen next. First, she tried to look down and make out what she was coming to,
but it was too dark to see anything; then she looked at the sides of the well, and noticed that they were filled
with cupboards and book-shelves; here and there she saw maps and pictures hung upon pegs. She took down a jar from
one of the shelves as she passed; it was labelled 'ORANGE MARMALADE', but to her great disappointment it was empty:
she did not like to drop the jar for fear of killing somebody underneath, so managed to put it into one of the
cupboards as she fell past it.

'Well!' thought Alice to herself, 'after such a fall as this, I shall think nothing of tumbling down stairs! How
brave they'll all think me at home! Why, I wouldn't say anything about it, even if I fell off the top of the
house!' (Which was very likely true.)

Down, down, down. Would the fall NEVER come to an end! 'I wonder how many miles I've fallen by this time?' she said
aloud. 'I must be getting somewhere near the centre of the earth. Let me see: that would be four thousand miles
down, I think--' (for, you see, Alice had learnt several things of this sort in her lessons in the schoolroom, and
though this was not a VERY good opportunity for showing off her knowledge, as there was no one to listen to her,
still it was good practice to say it over) '--yes, that's about the right distance--but then I wonder what Latitude
or Longitude I've got to?' (Alice had no idea what Latitude was, or Longitude either, but thought they were nice
grand words to say.)

Presently she began again. 'I wonder if I shall fall right THROUGH the earth! How funny it'll seem to come out
among the people that walk with their heads downward! The Antipathies, I think--' (she was rather glad there WAS no
one listening, this time, as it didn't sound at all the right word) '--but I shall have to ask them what the name of
the country is, you know. Please, Ma'am, is this New Zealand or Australia?' (and she tried to curtsey as she
spoke--fancy CURTSEYING as you're falling through the air! Do you think you could manage it?) 'And what an ignorant
little girl she'll think me for asking! No, it'll never do to ask: perhaps I shall see it written up somewhere.'

Down, down, down. There was nothing else to do, so Alice soon began talking again. 'Dinah'll miss me very much
to-night, I should think!' (Dinah was the cat.) 'I hope they'll remember her saucer of milk at tea-time. Dinah my
dear! I wish you were down here with me! There are no mice in the air, I'm afraid, but you might catch a bat, and
that's very like a mouse, you know. But do cats eat bats, I wonder?' And here Alice began to get rather sleepy, and
went on saying to herself, in a dreamy sort of way, 'Do cats eat bats? Do cats eat bats?' and sometimes, 'Do bats
eat cats?' for, you see, as she couldn't answer either question, it didn't much matter which way she put it. She
felt that she was dozing off, and had just begun to dream that she was walking hand in hand with Dinah, and saying
to her very earnestly, 'Now, Dinah, tell me the truth: did you ever eat a bat?' when suddenly, thump! thump! down
she came upon a heap of sticks and dry leaves, and the fall was over.

Alice was not a bit hurt, and she jumped up on to her feet in a moment: she looked up, but it was all dark overhead;
before her was another long passage, and the White Rabbit was still in sight, hurrying down it. There was not a
moment to be lost: away went Alice like the wind, and was just in time to hear it say, as it turned a corner, 'Oh my
ears and whiskers, how late it's getting!' She was close behind it when she turned the corner, but the Rabbit was
no longer to be seen: she found herself in a long, low hall, which was lit up by a row of lamps hanging from the
roof.

There were doors all round the hall, but they were all locked; and when Alice had been all the way down one side and
up the other, trying every door, she walked sadly down the middle, wondering how she was ever to get out again.

Suddenly she came upon a little three-legged table, all made of solid glass; there was nothing on it except a tiny
golden key, and Alice's first thought was that it might belong to one of the doors of the hall; but, alas! either
the locks were too large, or the key was too small, but at any rate it would not open any of them. However, on the
second time round, she came upon a low curtain she had not noticed before, and behind it was a little door about
fifteen inches high: she tried the little golden key in the lock, and to her great delight it fitted!

Alice opened the door and found that it led into a small passage, not much larger than a rat-hole: she knelt down
and looked along the passage into the loveliest garden you ever saw. How she longed to get out of that dark hall,
and wander about among those beds of bright flowers and those cool fountains, but she could not even get her head
through the doorway; 'and even if my head would go through,' thought poor Alice, 'it would be of very little use
without my shoulders. Oh, how I wish I could shut up like a telescope! I think I could, if I only knew how to
begin.' For, you see, so many out-of-the-way things had happened lately, that Alice had begun to think that very
few things indeed were really impossible.

There seemed to be no use in waiting by the little door, so she went back to the table, half hoping she might find
another key on it, or at any rate a book of rules for shutting people up like telescopes: this time she found a
little bottle on it, ('which certainly was not here before,' said Alice,) and round the neck of the bottle was a
paper label, with the words 'DRINK ME' beautifully printed on it in large letters.

It was all very well to say 'Drink me,' but the wise little Alice was not going to do THAT in a hurry. 'No, I'll
look first,' she said, 'and see whether it's marked "poison" or not'; for she had read several nice little
histories about children who had got burnt, and eaten up by wild beasts and other unpleasant things, all because
they WOULD not remember the simple rules their friends had taught them: such as, that a red-hot poker will burn you
if you hold it too long; and that if you cut your finger VERY deeply with a knife, it usually bleeds; and she had
never forgotten that, if you drink much from a bottle marked 'poison,' it is almost certain to disagree with you,
sooner or later.

However, this bottle was NOT marked 'poison,' so Alice ventured to taste it, and finding it very nice, (it had, in
fact, a sort of mixed flavour of cherry-tart, custard, pine-apple, roast turkey, toffee, and hot buttered toast,)
she very soon finished it off.
"""


def corpus() -> str:
    """TEXT with its line breaks inside paragraphs made spaces: one line per paragraph."""
    return "\n".join(" ".join(paragraph.split()) for paragraph in TEXT.strip().split("\n\n"))


class CharLSTM(nn.Module):
    """Characters -> embeddings -> LSTM -> logits over the next character, time first: (T, B) -> (T, B, V)."""

    def __init__(self, vocab_size: int, embedding_dim: int, hidden_size: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab_size, embedding_dim)
        self.lstm = nn.LSTM(embedding_dim, hidden_size)
        # A few thousand characters are soon memorised: dropout on the LSTM's outputs delays that.
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(hidden_size, vocab_size)

    def forward(self, idx: al.Tensor, state: tuple[al.Tensor, al.Tensor] | None = None
                ) -> tuple[al.Tensor, tuple[al.Tensor, al.Tensor]]:
        out, state = self.lstm(self.embed(idx), state)
        return self.head(self.drop(out)), state


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--steps", type=int, default=50, help="batches per epoch")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seq-len", type=int, default=64, help="characters per training window")
    parser.add_argument("--hidden", type=int, default=128, help="LSTM hidden size")
    parser.add_argument("--embed", type=int, default=32, help="character embedding size")
    parser.add_argument("--dropout", type=float, default=0.5, help="dropout on the LSTM's outputs")
    parser.add_argument("--lr", type=float, default=1e-2, help="Adam's peak learning rate")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--prompt", default="Alice ", help="text the greedy sample starts from")
    parser.add_argument("--sample", type=int, default=120, help="characters to generate at the end")
    return parser.parse_args(argv)


def cosine(total_steps: int, warmup: int = 20) -> Callable[[int], float]:
    """A short linear warm-up, then a cosine down to zero: the factor of the peak rate at each step."""
    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total_steps - warmup)))
    return factor


def baselines(train: np.ndarray, held: np.ndarray, vocab_size: int) -> tuple[int, float, float]:
    """Two predictors read off the training text, and their held-out accuracies: always its most frequent
    character (returned too), and the most frequent successor of the current character (a bigram table)."""
    majority = int(np.bincount(train, minlength=vocab_size).argmax())
    counts = np.zeros((vocab_size, vocab_size), dtype=np.int64)
    np.add.at(counts, (train[:-1], train[1:]), 1)
    successor = np.where(counts.sum(axis=1) > 0, counts.argmax(axis=1), majority)
    previous = np.concatenate([train[-1:], held[:-1]])        # what each held-out character follows
    return majority, float((held == majority).mean()), float((successor[previous] == held).mean())


def held_out_accuracy(model: CharLSTM, context: np.ndarray, held: np.ndarray) -> float:
    """Next-character accuracy over `held`, read in one stream after `context` (the text just before it),
    so that the first held-out characters are predicted with the same kind of context as the rest."""
    stream = np.concatenate([context, held])
    model.eval()
    with al.no_grad():
        logits, _ = model(al.tensor(stream[:-1, None]))
    model.train()
    pred = logits.numpy()[:, 0].argmax(axis=1)[len(context) - 1:]
    return float((pred == held).mean())


def generate(model: CharLSTM, prompt: np.ndarray, length: int) -> list[int]:
    """`length` characters after `prompt`, each the model's most likely next character (greedy)."""
    model.eval()
    out: list[int] = []
    with al.no_grad():
        logits, state = model(al.tensor(prompt[:, None]))
        for _ in range(length):
            nxt = int(logits.numpy()[-1, 0].argmax())
            out.append(nxt)
            logits, state = model(al.tensor([[nxt]]), state)
    model.train()
    return out


def main(argv: list[str] | None = None) -> float:
    args = parse_args(argv)
    al.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    text = corpus()
    chars = sorted(set(text))
    lookup = {c: i for i, c in enumerate(chars)}
    data = np.array([lookup[c] for c in text], dtype=np.int64)
    split = int(0.9 * len(data))
    train, held = data[:split], data[split:]
    majority, always, bigram = baselines(train, held, len(chars))
    print(f"text: {len(data)} characters, {len(chars)} distinct; training on the first {len(train)}, "
          f"holding out the last {len(held)}")
    print(f"held-out baselines: always {chars[majority]!r} {always:.1%}, "
          f"bigram (most frequent successor) {bigram:.1%}")

    model = CharLSTM(len(chars), args.embed, args.hidden, args.dropout)
    opt = nn.optim.Adam(model.parameters(), lr=args.lr)
    sched = nn.optim.lr_scheduler.LambdaLR(opt, cosine(args.epochs * args.steps, warmup=min(20, args.steps)))
    loss_fn = nn.CrossEntropyLoss()
    window = args.seq_len + 1                     # inputs are a window's first seq_len, targets its last seq_len
    print(f"model: {model!r}\nAdam, peak lr {args.lr}; {args.epochs} epochs of {args.steps} batches of "
          f"{args.batch_size} windows of {args.seq_len} characters (about "
          f"{args.steps * args.batch_size * args.seq_len / len(train):.1f} passes over the training text each)")

    al.keep_freed_memory()        # reuse the step's large arrays instead of faulting them in anew
    start = time.perf_counter()
    acc = 0.0
    for epoch in range(1, args.epochs + 1):
        epoch_start = time.perf_counter()
        total = 0.0
        bar = tqdm(range(args.steps), desc=f"epoch {epoch}/{args.epochs}", unit="batch", leave=False)
        for step in bar:
            # Random windows rather than a fixed cut: every offset of the text is seen at every position.
            starts = rng.integers(0, len(train) - window + 1, size=args.batch_size)
            batch = train[starts[None, :] + np.arange(window)[:, None]]          # (window, batch), time first
            opt.zero_grad()
            logits, _ = model(al.tensor(batch[:-1]))
            loss = loss_fn(logits.reshape(-1, len(chars)), al.tensor(batch[1:].reshape(-1)))
            loss.backward()
            # Keep one long window's exploding gradient from undoing the last few hundred steps.
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += loss.item()
            bar.set_postfix(loss=f"{total / (step + 1):.3f}", refresh=False)
        bar.close()
        acc = held_out_accuracy(model, train[-args.seq_len:], held)
        print(f"epoch {epoch}/{args.epochs}: train loss {total / args.steps:.4f}, held-out next-character "
              f"accuracy {acc:.1%}, {time.perf_counter() - epoch_start:.1f} s")
    print(f"total time {time.perf_counter() - start:.1f} s")

    unknown = sorted(set(args.prompt) - set(chars))
    if unknown:
        raise SystemExit(f"--prompt: characters {unknown} never occur in the text")
    sample = generate(model, np.array([lookup[c] for c in args.prompt], dtype=np.int64), args.sample)
    print("greedy sample:\n" + args.prompt + "".join(chars[i] for i in sample))
    print(f"held-out next-character accuracy: {acc:.2%} (baselines: always {chars[majority]!r} {always:.2%}, "
          f"bigram {bigram:.2%})")
    return acc


if __name__ == "__main__":
    main()
