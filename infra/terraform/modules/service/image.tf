# A service whose package is a container image (its manifest's lambda_package.package_type "Image": the
# Amazon Linux 2023 image `make package` writes a Dockerfile for, docs/terraform.md "Packages"): an ECR
# repository of its own, scanned on push, with immutable tags (a tag is one image for good), a repository
# policy letting Lambda pull for this service's functions only, and a lifecycle policy expiring untagged images
# only. Every function of the service runs the image <repository>:<image_tag>.
#
# The tag is the sha256 of the service's `make package` zip (lambda_zip_path), which holds exactly the image's
# build context and /var/task (.local/build/package/<service>/package/, its Dockerfile included): the same
# sources give the same tag; other code, another dependency or another Dockerfile another tag. The image must be
# pushed under it before the functions are created or updated (docs/terraform.md, "Pushing the images"; the
# deploy workflow .github/workflows/_deploy.yml does it).

locals {
  is_image  = local.package_type == "Image"
  image_tag = var.image_tag != "" ? var.image_tag : local.zip_sha256
  # Through the repository policy (its `repository` is the repository's name), so every function waits for the
  # policy: Lambda checks at CreateFunction/UpdateFunctionCode that it may pull. repository_url is <registry>/<name>.
  image_registry       = local.is_image ? split("/", aws_ecr_repository.image[0].repository_url)[0] : ""
  image_uri            = local.is_image && local.image_tag != "" ? "${local.image_registry}/${aws_ecr_repository_policy.image[0].repository}:${local.image_tag}" : ""
  image_repository_arn = local.is_image ? aws_ecr_repository.image[0].arn : ""
  # Every function names its handler as its command. The image's default command (the Dockerfile's CMD) is the
  # worker's handler, so the worker's is that same CMD, written out: moto answers a function without an image
  # config with an empty one, which hashicorp/aws then plans to remove on every plan (2 in-place changes after
  # apply, seen in tests/infra/test_images.py); an explicit command re-plans clean and changes nothing on AWS.
  image_command = { for kind, handler in local.lambda_handler : kind => local.is_image ? [handler] : [] }
}

resource "aws_ecr_repository" "image" {
  count = local.is_image ? 1 : 0

  name                 = local.base
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  dynamic "encryption_configuration" {
    for_each = var.kms_key_arn == null ? [] : [1]
    content {
      encryption_type = "KMS"
      kms_key         = var.kms_key_arn
    }
  }

  tags = local.tags
}

# Lambda pulls the image as the service principal lambda.amazonaws.com when a function is created or its code
# updated, which needs ecr:BatchGetImage and ecr:GetDownloadUrlForLayer in the
# repository policy; without one, Lambda tries to add it itself, which needs ecr:SetRepositoryPolicy for whoever
# deploys (AWS: "Lambda does not have permission to access the ECR image"). Here the grant is explicit and
# limited by aws:SourceArn to this service's functions (and their versions/aliases): no other function in the
# account can run this image. The ARNs are built from the repository's (partition, region, account).
locals {
  repository_arn_parts = local.is_image ? split(":", aws_ecr_repository.image[0].arn) : []
  pulling_functions = local.is_image ? flatten([for kind in local.kinds : [
    "arn:${local.repository_arn_parts[1]}:lambda:${local.repository_arn_parts[3]}:${local.repository_arn_parts[4]}:function:${local.base}-${kind}",
    "arn:${local.repository_arn_parts[1]}:lambda:${local.repository_arn_parts[3]}:${local.repository_arn_parts[4]}:function:${local.base}-${kind}:*",
  ]]) : []
}

resource "aws_ecr_repository_policy" "image" {
  count = local.is_image ? 1 : 0

  repository = aws_ecr_repository.image[0].name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "LambdaPullForOwnFunctions"
      Effect    = "Allow"
      Principal = { Service = "lambda.amazonaws.com" }
      Action    = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
      Condition = { ArnLike = { "aws:SourceArn" = local.pulling_functions } }
    }]
  })
}

# Untagged images only. Every tag is the sha256 of a release's zip and may still be what a live alias (or the
# previous VERSION, kept for a rollback) runs, and ECR cannot know which: a count rule over tagged images would
# expire an image a live alias or a rollback still needs. Tags never move (IMMUTABLE), and the workflow builds single-platform images
# without attestations (--provenance=false), so untagged images are only leftovers (interrupted pushes, manual
# pushes): expired after `untagged_image_expiry_days`. Tagged images are pruned by hand (docs/terraform.md,
# "Pushing the images").
resource "aws_ecr_lifecycle_policy" "image" {
  count = local.is_image ? 1 : 0

  repository = aws_ecr_repository.image[0].name
  policy = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Expire untagged images ${var.untagged_image_expiry_days} day(s) after push; tagged images (releases) are kept"
      selection = {
        tagStatus   = "untagged"
        countType   = "sinceImagePushed"
        countUnit   = "days"
        countNumber = var.untagged_image_expiry_days
      }
      action = { type = "expire" }
    }]
  })
}
