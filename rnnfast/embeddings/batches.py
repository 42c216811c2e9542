"""Token lists turned into batches of vocabulary ids, for the worker threads."""

from rnnfast.embeddings._vocab import encode_sentences
from rnnfast.embeddings.corpus import check_sentence

__all__ = ["id_batches"]


def id_batches(sentences, key_to_index, batch_words, max_sentence_length):
    """Batches of vocabulary ids from an iterable of token lists, for `feed`.

    Yields (ids int32, sentence_ends int64, raw_ends int64, raw_words) for about
    `batch_words` tokens at a time: unknown tokens dropped, sentences longer than
    `max_sentence_length` tokens cut into pieces (as the C file reader cuts
    lines), raw_ends the cumulative raw token count at each sentence's end."""
    batch, words = [], 0
    for sentence in sentences:
        check_sentence(sentence)
        batch.append(sentence)
        words += len(sentence)
        if words >= batch_words:
            yield encode_sentences(batch, key_to_index, max_sentence_length)
            batch, words = [], 0
    if batch:
        yield encode_sentences(batch, key_to_index, max_sentence_length)
