import pytest
import torch
import torch.nn.functional as F

from vae_course.models import DCGAN, DCGANConfig, build_model
from vae_course.models.dcgan import discriminator_loss, generator_loss
from vae_course.train_gan import GANTrainConfig, fit_gan


@pytest.mark.parametrize("batch", [2, 5])
def test_shapes(batch):
    model = DCGAN(DCGANConfig(noise_dim=8, channels=(16, 8)))
    images = model.decode(torch.randn(batch, 8))
    assert images.shape == (batch, 1, 28, 28) and ((images >= 0) & (images <= 1)).all()
    assert model.discriminate(images).shape == (batch,)


def test_losses_against_binary_cross_entropy():
    real, fake = torch.tensor([2.0, -1.0, 0.5]), torch.tensor([-3.0, 0.2, 40.0])
    ones, zeros = torch.ones(3), torch.zeros(3)
    expected_d = F.binary_cross_entropy_with_logits(real, ones) + F.binary_cross_entropy_with_logits(fake, zeros)
    torch.testing.assert_close(discriminator_loss(real, fake), expected_d)
    torch.testing.assert_close(generator_loss(fake), F.binary_cross_entropy_with_logits(fake, ones))
    # by hand: -log sigmoid(l) for l = 0 is log 2
    assert generator_loss(torch.zeros(4)).item() == pytest.approx(0.6931471805599453)


def test_generator_loss_does_not_saturate_when_the_discriminator_wins():
    fake = torch.tensor([-10.0], requires_grad=True)  # D(G(z)) ~ 5e-5: the discriminator is sure
    generator_loss(fake).backward()
    non_saturating = fake.grad.abs().item()
    fake.grad = None
    (-F.softplus(fake)).mean().backward()  # minimax: log(1 - D(G(z))) = -softplus(l)
    assert non_saturating > 0.99 and fake.grad.abs().item() < 1e-4


def test_a_short_run_is_recorded_and_reproducible():
    images = torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    config = GANTrainConfig(epochs=2, batch_size=16, seed=3)
    results = []
    for _ in range(2):
        torch.manual_seed(0)
        model = build_model("dcgan", noise_dim=4, channels=(16, 8))
        log = fit_gan(model, images, config=config, device="cpu")
        results.append(model.decode(torch.ones(1, 4)))
    assert log.column("epoch") == [1, 2] and log.best_epoch == 2 and not model.training
    assert all(k in log.epochs[0] for k in ("discriminator_loss", "generator_loss", "seconds"))
    torch.testing.assert_close(results[0], results[1])


def test_the_discriminator_learns_a_tiny_batch():
    """With the generator's updates dwarfed (lr tiny), the discriminator separates real from fake."""
    torch.manual_seed(0)
    model = build_model("dcgan", noise_dim=4, channels=(16, 8))
    real = (torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(1)) > 0.5).float()
    optimizer = torch.optim.Adam(model.discriminator.parameters(), lr=1e-3)
    noise = torch.randn(16, 4, generator=torch.Generator().manual_seed(2))
    for _ in range(100):
        loss = discriminator_loss(model.discriminate(real), model.discriminate(model.decode(noise).detach()))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.05  # from 2 log 2 ~ 1.39 at chance
